// The DPU's integer arithmetic (DPUCZDX8G, hardware reference semantics of spec §3), scalar by
// scalar. Every integer kernel — the quantizer's test mode and the emulator alike — computes through
// these functions, so the numerics live in exactly one place.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace dputk::dpu {

inline std::int8_t clamp8(std::int64_t v) { return static_cast<std::int8_t>(std::min<std::int64_t>(127, std::max<std::int64_t>(-128, v))); }

// floor(v / 2^s) for s >= 0 (arithmetic shift).
inline std::int64_t floor_shift(std::int64_t v, int s) { return s >= 63 ? (v < 0 ? -1 : 0) : (v >> s); }
// DPU_ROUND(v / 2^s) = floor(v / 2^s + 1/2) for s >= 1; v << -s for s <= 0.
inline std::int64_t round_shift(std::int64_t v, int s) {
  if (s <= 0) return v * (std::int64_t{1} << -s);
  if (s >= 62) return 0;
  return (v + (std::int64_t{1} << (s - 1))) >> s;
}
// DPU_ROUND(x * 2^(to - from)): moving an integer from fix point `from` to fix point `to`.
inline std::int8_t requantize(std::int64_t x, int from, int to) { return clamp8(round_shift(x, from - to)); }

// upsample-fix (spec §3.6): the interpolated integer value v (NEAREST: one input value; BILINEAR: the
// lerp of four, computed in float by the resize sampling of runtime/engine/src/ops/resize.cpp) moved
// to the output fix point: DPU_ROUND(v * 2^(fo - fi)).
inline std::int8_t resize_output(double v, int fi, int fo) {
  return clamp8(static_cast<std::int64_t>(std::floor(std::ldexp(v, fo - fi) + 0.5)));
}

// eltwise-fix MUL: the exact product p of the int8 inputs (at fix point f = sum of theirs) moved to
// the output fix point with DPU_ROUND, optional ReLU: clamp8(DPU_ROUND(p * 2^(fo - f))). Equal to the
// quantizer's float product of fake-quantized values (exact: int8 products are exact in float).
// Inference: the spec states only that the eltwise engine multiplies (§3.2).
inline std::int8_t eltwise_mul_output(std::int64_t p, int f, int fo, bool relu) {
  const std::int8_t v = clamp8(round_shift(p, f - fo));
  return relu && v < 0 ? 0 : v;
}

enum class Nonlinear { NONE, RELU, RELU6, LEAKYRELU, HSIGMOID };

// Hard-sigmoid (spec §3.8, XIR hard-sigmoid-fix: relu6(x + 3) · 2731 / 2^14) of an int8 x at fix point
// hsigmoid_in, to the output fix point fo = hsigmoid_in + 14 − shift_hsigmoid:
//   h = max(0, x·2731 + 3·2731·2^hsigmoid_in),  out = clamp8(DPU_ROUND(h / 2^shift_hsigmoid)).
// No clamp at 6: saturation does it when fo >= 7, which the quantizer enforces (kHsigmoidMinFixPoint).
constexpr int kHsigmoidMinFixPoint = 7;
inline int shift_hsigmoid_for(int hsigmoid_in, int fo) { return hsigmoid_in + 14 - fo; }
inline std::int8_t hsigmoid_output(std::int64_t x, int hsigmoid_in, int shift_hsigmoid) {
  const std::int64_t h = std::max<std::int64_t>(0, x * 2731 + 3 * 2731 * (std::int64_t{1} << std::max(hsigmoid_in, 0)));
  return clamp8(round_shift(h, shift_hsigmoid));
}

// The DPU's ReLU6 clamps at 96 output LSBs (spec §3.1, risk register 3), which is 6.0 only at output
// fix point 4; here (conv_output) it clamps at 6.0 for any fix point, so the two agree at this one.
constexpr int kRelu6ExactFixPoint = 4;
// That clamp in output LSBs: 6·2^fo (fo < 0: 6), above int8's range from fo = 5 on.
inline std::int64_t relu6_bound(int fo) { return std::int64_t{6} << std::min(std::max(fo, 0), 40); }

// The DPU's leaky ReLU: negative values times 26/256 (0.1015625), its one slope.
constexpr int kLeakyNumerator = 26;
constexpr int kLeakyShift = 8;
constexpr float kLeakySlope = static_cast<float>(kLeakyNumerator) / (1 << kLeakyShift);

// Convolution / depthwise / fully connected output from the exact integer accumulator
// acc = Σ x·w (fix point fi + fw), bias b (fix point fb), output fix point fo:
//   shift_bias = fi + fw − fb, shift_cut = fi + fw − fo,
//   S2 = 2·acc + floor(b · 2^(shift_bias+1))   (one guard bit, as the hardware reference)
//   v  = S2 / 2^(shift_cut+1); activation on v; out = clamp8(DPU_ROUND(v)).
inline int shift_bias_for(int fi, int fw, int fb) { return fi + fw - fb; }
inline int shift_cut_for(int fi, int fw, int fo) { return fi + fw - fo; }
struct ConvShift {
  int shift_bias = 0;
  int shift_cut = 0;
  Nonlinear nonlinear = Nonlinear::NONE;
  int fo = 0;  // output fix point (ReLU6 needs it: 6.0 = 6·2^fo output LSBs)
  // HSIGMOID: the convolution's int8 result at fix point hsigmoid_in (shift_cut is relative to it), then
  // hsigmoid_output.
  int hsigmoid_in = 0;
  int shift_hsigmoid = 0;
};

inline std::int8_t conv_output(std::int64_t acc, std::int64_t bias, const ConvShift& s) {
  const int sb1 = s.shift_bias + 1;
  const std::int64_t b2 = sb1 >= 0 ? bias * (std::int64_t{1} << std::min(sb1, 40)) : floor_shift(bias, -sb1);
  std::int64_t s2 = 2 * acc + b2;
  const int cut = s.shift_cut + 1;
  switch (s.nonlinear) {
    case Nonlinear::RELU:
      if (s2 < 0) s2 = 0;
      break;
    case Nonlinear::RELU6: {
      if (s2 < 0) s2 = 0;
      const std::int64_t out = round_shift(s2, cut);
      return clamp8(std::min<std::int64_t>(out, relu6_bound(s.fo)));
    }
    case Nonlinear::HSIGMOID:
      return hsigmoid_output(clamp8(round_shift(s2, cut)), s.hsigmoid_in, s.shift_hsigmoid);
    case Nonlinear::LEAKYRELU:
      // negative values times 26/256, one rounding: DPU_ROUND(S2 · 26 / 2^(cut + 8))
      if (s2 < 0) return clamp8(round_shift(s2 * kLeakyNumerator, cut + kLeakyShift));
      break;
    default:
      break;
  }
  return clamp8(round_shift(s2, cut));
}

// Element-wise add of inputs a_k at fix points f_k into fix point fo (hardware reference): every
// input is brought to fix point fmin + 2 by truncation, summed, then DPU-rounded to fo.
//   t = Σ floor(a_k · 2^(2 − (f_k − fmin))),  out = clamp8(DPU_ROUND(t · 2^(fo − fmin − 2)))
inline std::int64_t eltwise_term(std::int64_t a, int f, int fmin) {
  const int read = f - fmin;  // >= 0
  return read <= 2 ? a * (std::int64_t{1} << (2 - read)) : floor_shift(a, read - 2);
}
inline std::int8_t eltwise_output(std::int64_t t, int fmin, int fo, bool relu) {
  if (relu && t < 0) t = 0;
  return clamp8(round_shift(t, fmin + 2 - fo));
}

// Average pooling: the DPU multiplies the window sum by N / 2^M instead of dividing by k_h·k_w.
struct AvgFactor {
  int n = 1;
  int m = 0;
};
inline AvgFactor avg_pool_factor(int kh, int kw) {
  if (kh == 3 && kw == 3) return {7, 6};
  if (kh == 5 && kw == 5) return {10, 8};
  if (kh == 6 && kw == 6) return {7, 8};
  if (kh == 7 && kw == 7) return {21, 10};
  if (kh == 14 && kw == 14) return {21, 12};
  const int count = kh * kw;
  if ((count & (count - 1)) == 0) {
    int m = 0;
    while ((1 << m) < count) ++m;
    return {1, m};
  }
  // Otherwise the best N/2^M with N = round(2^M / count), M < ceil(log2(128·count)) (first wins on ties).
  AvgFactor best{0, 0};
  double best_err = 1e30;
  int limit = 0;
  while ((1LL << limit) < 128LL * count) ++limit;
  for (int m = 0; m < limit; ++m) {
    const double exact = static_cast<double>(1LL << m) / count;
    const long long n = static_cast<long long>(exact + 0.5);
    const double err = std::abs(static_cast<double>(n) / static_cast<double>(1LL << m) - 1.0 / count);
    if (err < best_err) {
      best_err = err;
      best = {static_cast<int>(n), m};
    }
  }
  return best;
}
// out = clamp8(DPU_ROUND(sum · N / 2^(M + fi − fo)))
inline std::int8_t avg_pool_output(std::int64_t sum, const AvgFactor& f, int fi, int fo) {
  return clamp8(round_shift(sum * f.n, f.m + fi - fo));
}

}  // namespace dputk::dpu
