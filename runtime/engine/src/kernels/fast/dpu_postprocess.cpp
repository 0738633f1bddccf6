#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "dputk/engine/dpu_fast_kernels.hpp"

// On x86-64 this file is built with -mavx2 (baseline x86-64 has no 32-bit vector min/max, so the
// loops would stay scalar); every entry point first checks that the CPU has AVX2 and otherwise
// declines, so the caller's reference path runs instead.
#if defined(__x86_64__)
static bool cpu_ok() {
  static const bool ok = __builtin_cpu_supports("avx2");
  return ok;
}
#else
static bool cpu_ok() { return true; }
#endif

namespace dputk::engine::dpu_fast {

bool conv_output(const std::int32_t* acc, const std::int8_t* bias, std::int64_t pixels, int oc, const dpu::ConvShift& s,
                 std::int8_t* out) {
  const bool relu6 = s.nonlinear == dpu::Nonlinear::RELU6, leaky = s.nonlinear == dpu::Nonlinear::LEAKYRELU;
  if (!cpu_ok() || (s.nonlinear != dpu::Nonlinear::NONE && s.nonlinear != dpu::Nonlinear::RELU && !relu6 && !leaky)) return false;
  if (s.shift_bias < -1 || s.shift_bias > 20 || s.shift_cut < 0 || s.shift_cut > 29) return false;
  // Bias term floor(b · 2^(shift_bias+1)) per channel (shift_bias >= -1: an exact left shift).
  std::vector<std::int32_t> b2(static_cast<std::size_t>(oc), 0);
  for (int c = 0; c < oc; ++c) b2[c] = bias ? static_cast<std::int32_t>(bias[c]) * (1 << (s.shift_bias + 1)) : 0;
  const int cut = s.shift_cut + 1;
  const std::int32_t half = 1 << (cut - 1);
  const std::int32_t floor_value = s.nonlinear == dpu::Nonlinear::RELU || relu6 ? 0 : INT32_MIN;
  // ReLU6: the DPU's clamp at 6.0 (dpu::relu6_bound) where it is below int8's own.
  const std::int32_t ceiling = relu6 ? static_cast<std::int32_t>(std::min<std::int64_t>(127, dpu::relu6_bound(s.fo))) : 127;
  const std::int32_t* bt = b2.data();
  if (leaky) {  // negative sums times 26/256 with one rounding (dpu::conv_output), in 64 bits: |S2 · 26| > 2^31
    const int neg_cut = cut + dpu::kLeakyShift;
    const std::int64_t neg_half = std::int64_t{1} << (neg_cut - 1);
#pragma omp parallel for schedule(static)
    for (std::int64_t p = 0; p < pixels; ++p) {
      const std::int32_t* a = acc + p * oc;
      std::int8_t* o = out + p * oc;
      for (int c = 0; c < oc; ++c) {
        const std::int64_t s2 = 2 * static_cast<std::int64_t>(a[c]) + bt[c];
        std::int64_t r = s2 < 0 ? (s2 * dpu::kLeakyNumerator + neg_half) >> neg_cut : (s2 + half) >> cut;
        r = r > 127 ? 127 : r;
        r = r < -128 ? -128 : r;
        o[c] = static_cast<std::int8_t>(r);
      }
    }
    return true;
  }
#pragma omp parallel for schedule(static)
  for (std::int64_t p = 0; p < pixels; ++p) {
    const std::int32_t* a = acc + p * oc;
    std::int8_t* o = out + p * oc;
    // Plain value selects (std::min/max through references keep GCC from vectorizing).
    for (int c = 0; c < oc; ++c) {
      std::int32_t s2 = 2 * a[c] + bt[c];
      s2 = s2 < floor_value ? floor_value : s2;
      std::int32_t r = (s2 + half) >> cut;
      r = r > ceiling ? ceiling : r;
      r = r < -128 ? -128 : r;
      o[c] = static_cast<std::int8_t>(r);
    }
  }
  return true;
}

bool eltwise_mul2(const std::int8_t* a, const std::int8_t* b, bool b_per_channel, std::int64_t pixels, int c,
                  std::int64_t pixels_per_image, int f, int fo, bool relu, std::int8_t* out) {
  const int shift = f - fo;  // DPU_ROUND(p / 2^shift), or p · 2^−shift
  if (!cpu_ok() || shift < -16 || shift > 30 || c <= 0 || pixels_per_image <= 0) return false;
  const int right = shift > 0 ? shift : 0, left = shift < 0 ? -shift : 0;
  const std::int32_t half = shift > 0 ? std::int32_t{1} << (shift - 1) : 0;  // |p| <= 2^14: p·2^16 and p + half fit
  const std::int32_t lo = relu ? 0 : -128;                                    // ReLU after the saturation: the same
#pragma omp parallel for schedule(static) if (pixels * c > (1 << 16))
  for (std::int64_t p = 0; p < pixels; ++p) {
    const std::int8_t* x = a + p * c;
    const std::int8_t* y = b_per_channel ? b + (p / pixels_per_image) * c : b + p * c;
    std::int8_t* o = out + p * c;
    for (int ch = 0; ch < c; ++ch) {
      const std::int32_t prod = static_cast<std::int32_t>(x[ch]) * y[ch];
      std::int32_t r = ((prod + half) >> right) * (std::int32_t{1} << left);
      r = r > 127 ? 127 : r;
      r = r < lo ? lo : r;
      o[ch] = static_cast<std::int8_t>(r);
    }
  }
  return true;
}

bool eltwise_add2(const std::int8_t* a, int fa, const std::int8_t* b, int fb, std::int64_t count, int fo, bool relu,
                  std::int8_t* out) {
  if (!cpu_ok()) return false;
  const int fmin = std::min(fa, fb);
  const int ra = fa - fmin, rb = fb - fmin;             // read shifts, >= 0
  const int la = std::max(2 - ra, 0), sa = std::max(ra - 2, 0);
  const int lb = std::max(2 - rb, 0), sb = std::max(rb - 2, 0);
  const int w = fmin + 2 - fo;                          // write shift (round when > 0)
  if (sa > 7 || sb > 7 || w > 20 || w < -20) return false;
  std::int64_t start = 0;
#if defined(__AVX2__)
  if (w >= 0 && w <= 12) {
    // 16-bit lanes, 32 values per step: |a·2^la|, |b·2^lb| <= 512, so t + half < 2^15; packs
    // saturates to int8 exactly like the clamp.
    const __m128i sla = _mm_cvtsi32_si128(la), ssa = _mm_cvtsi32_si128(sa), slb = _mm_cvtsi32_si128(lb),
                  ssb = _mm_cvtsi32_si128(sb), sw = _mm_cvtsi32_si128(w);
    const __m256i half = _mm256_set1_epi16(static_cast<short>(w > 0 ? 1 << (w - 1) : 0));
    const __m256i lo = _mm256_set1_epi16(relu ? 0 : -32768);
    auto lane = [&](__m128i va, __m128i vb) {
      __m256i x = _mm256_sra_epi16(_mm256_sll_epi16(_mm256_cvtepi8_epi16(va), sla), ssa);
      __m256i y = _mm256_sra_epi16(_mm256_sll_epi16(_mm256_cvtepi8_epi16(vb), slb), ssb);
      __m256i t = _mm256_max_epi16(_mm256_add_epi16(x, y), lo);
      return _mm256_sra_epi16(_mm256_add_epi16(t, half), sw);
    };
    const std::int64_t blocks = count / 32;
#pragma omp parallel for schedule(static)
    for (std::int64_t k = 0; k < blocks; ++k) {
      const std::int64_t i = k * 32;
      const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
      const __m256i vb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
      const __m256i r0 = lane(_mm256_castsi256_si128(va), _mm256_castsi256_si128(vb));
      const __m256i r1 = lane(_mm256_extracti128_si256(va, 1), _mm256_extracti128_si256(vb, 1));
      const __m256i packed = _mm256_permute4x64_epi64(_mm256_packs_epi16(r0, r1), 0xD8);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), packed);
    }
    start = blocks * 32;  // the rest (fewer than 32) by the loop below
  }
#endif
  const std::int32_t half = w > 0 ? (1 << (w - 1)) : 0;
  const std::int32_t lo = relu ? 0 : INT32_MIN;
  const int right = w > 0 ? w : 0, left = w > 0 ? 0 : -w;
#pragma omp parallel for schedule(static) if (count - start > 4096)
  for (std::int64_t i = start; i < count; ++i) {
    // floor(a · 2^(2 − read)): a left shift, or an arithmetic right shift (floor)
    std::int32_t t = ((static_cast<std::int32_t>(a[i]) << la) >> sa) + ((static_cast<std::int32_t>(b[i]) << lb) >> sb);
    t = t < lo ? lo : t;
    std::int32_t r = ((t + half) >> right) << left;
    r = r > 127 ? 127 : r;
    r = r < -128 ? -128 : r;
    out[i] = static_cast<std::int8_t>(r);
  }
  return true;
}

}  // namespace dputk::engine::dpu_fast
