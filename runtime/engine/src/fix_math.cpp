#include "dputk/engine/fix_math.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace dputk::engine {

namespace {
// x·2^fp is exact in float (a power of two) barring overflow; rounding and clamping in float are exact
// for |q| < 2^24, which holds for every int8/int16 grid.
// Branch-free, exact rounding that vectorizes on baseline x86-64. With i = trunc(t) and the exact
// fraction r = t − i (|r| < 1):  DPU_ROUND = floor(t + 0.5) = i + [r >= 0.5] − [r < −0.5];
// STD_ROUND (halves away from zero) = i + [r >= 0.5] − [r <= −0.5]. t is clamped to [lo − 1, hi + 1]
// first so the conversion is in range; the result is clamped again after.
template <RoundMode M>
inline float quantize_f(float x, float scale, float lo, float hi) {
  const float t = std::min(std::max(x * scale, lo - 1.0f), hi + 1.0f);
  float q;
  if constexpr (M == RoundMode::PY3_ROUND) {
    q = std::nearbyint(t);
  } else {
    const float i = static_cast<float>(static_cast<int>(t));
    const float r = t - i;
    const float down = M == RoundMode::DPU_ROUND ? (r < -0.5f ? 1.0f : 0.0f) : (r <= -0.5f ? 1.0f : 0.0f);
    q = i + (r >= 0.5f ? 1.0f : 0.0f) - down;
  }
  return std::min(std::max(q, lo), hi);
}

template <RoundMode M>
void fq_array(const float* in, std::int64_t n, const FixSpec& f, float* out) {
  const float scale = static_cast<float>(std::ldexp(1.0, f.fix_point)), inv = static_cast<float>(std::ldexp(1.0, -f.fix_point));
  const float lo = static_cast<float>(f.lo()), hi = static_cast<float>(f.hi());
#pragma omp parallel for simd schedule(static)
  for (std::int64_t i = 0; i < n; ++i) out[i] = quantize_f<M>(in[i], scale, lo, hi) * inv;
}

template <RoundMode M>
double fq_sse(const float* in, std::int64_t n, const FixSpec& f) {
  const float scale = static_cast<float>(std::ldexp(1.0, f.fix_point)), inv = static_cast<float>(std::ldexp(1.0, -f.fix_point));
  const float lo = static_cast<float>(f.lo()), hi = static_cast<float>(f.hi());
  const std::int64_t block = 4096;
  double sse = 0.0;
#pragma omp parallel for reduction(+ : sse) schedule(static)
  for (std::int64_t b = 0; b < n; b += block) {
    const std::int64_t end = std::min(n, b + block);
    float part = 0.0f;  // float inside a block (vectorizes), double across blocks
#pragma omp simd reduction(+ : part)
    for (std::int64_t i = b; i < end; ++i) {
      const float d = in[i] - quantize_f<M>(in[i], scale, lo, hi) * inv;
      part += d * d;
    }
    sse += part;
  }
  return sse;
}
template <RoundMode M>
void fq_sse_multi(const float* in, std::int64_t n, const FixSpec& first, int count, double* out) {
  constexpr int kMax = 16;
  float scale[kMax], inv[kMax];
  for (int k = 0; k < count; ++k) {
    scale[k] = static_cast<float>(std::ldexp(1.0, first.fix_point + k));
    inv[k] = static_cast<float>(std::ldexp(1.0, -(first.fix_point + k)));
  }
  const float lo = static_cast<float>(first.lo()), hi = static_cast<float>(first.hi());
  const std::int64_t block = 4096;
  const std::int64_t blocks = (n + block - 1) / block;
  std::vector<double> total(static_cast<std::size_t>(count), 0.0);
#pragma omp parallel
  {
    std::vector<double> mine(static_cast<std::size_t>(count), 0.0);
#pragma omp for schedule(static)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t begin = b * block, end = std::min(n, begin + block);
      for (int k = 0; k < count; ++k) {
        const float sc = scale[k], iv = inv[k];
        float part = 0.0f;
#pragma omp simd reduction(+ : part)
        for (std::int64_t i = begin; i < end; ++i) {
          const float d = in[i] - quantize_f<M>(in[i], sc, lo, hi) * iv;
          part += d * d;
        }
        mine[k] += part;
      }
    }
#pragma omp critical
    for (int k = 0; k < count; ++k) total[k] += mine[k];
  }
  for (int k = 0; k < count; ++k) out[k] = total[k];
}

}  // namespace

void fake_quant_sse_multi(const float* in, std::int64_t n, const FixSpec& first, int count, double* sse) {
  if (count < 1 || count > 16) throw std::invalid_argument("fake_quant_sse_multi: 1 to 16 candidates");
  switch (first.round) {
    case RoundMode::DPU_ROUND: return fq_sse_multi<RoundMode::DPU_ROUND>(in, n, first, count, sse);
    case RoundMode::STD_ROUND: return fq_sse_multi<RoundMode::STD_ROUND>(in, n, first, count, sse);
    default: return fq_sse_multi<RoundMode::PY3_ROUND>(in, n, first, count, sse);
  }
}

void fake_quantize_array(const float* in, std::int64_t n, const FixSpec& f, float* out) {
  switch (f.round) {
    case RoundMode::DPU_ROUND: return fq_array<RoundMode::DPU_ROUND>(in, n, f, out);
    case RoundMode::STD_ROUND: return fq_array<RoundMode::STD_ROUND>(in, n, f, out);
    default: return fq_array<RoundMode::PY3_ROUND>(in, n, f, out);
  }
}

double fake_quant_sse(const float* in, std::int64_t n, const FixSpec& f) {
  switch (f.round) {
    case RoundMode::DPU_ROUND: return fq_sse<RoundMode::DPU_ROUND>(in, n, f);
    case RoundMode::STD_ROUND: return fq_sse<RoundMode::STD_ROUND>(in, n, f);
    default: return fq_sse<RoundMode::PY3_ROUND>(in, n, f);
  }
}

}  // namespace dputk::engine
