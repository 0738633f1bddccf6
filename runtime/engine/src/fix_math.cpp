#include "dputk/engine/fix_math.hpp"

namespace dputk::engine {

namespace {
// x·2^fp is exact in float (a power of two) barring overflow; rounding and clamping in float are exact
// for |q| < 2^24, which holds for every int8/int16 grid.
template <RoundMode M>
inline float quantize_f(float x, float scale, float lo, float hi) {
  const float t = x * scale;
  float q;
  if constexpr (M == RoundMode::DPU_ROUND) q = std::floor(t + 0.5f);
  else if constexpr (M == RoundMode::STD_ROUND) q = std::round(t);
  else q = std::nearbyint(t);
  return q < lo ? lo : (q > hi ? hi : q);
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
  double sse = 0.0;
#pragma omp parallel for simd reduction(+ : sse) schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(in[i]) - static_cast<double>(quantize_f<M>(in[i], scale, lo, hi) * inv);
    sse += d * d;
  }
  return sse;
}
}  // namespace

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
