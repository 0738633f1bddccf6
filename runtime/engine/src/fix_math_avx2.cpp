// The fake-quantization kernels built with AVX2 (this file gets -mavx2 on x86-64); fix_math.cpp
// calls them only when the CPU has AVX2.
#define FIX_MATH_NS avx2
#include "fix_math_kernels.inc"

namespace dputk::engine::avx2 {

// Entry points of this build of the kernels.
void fq_array_entry(const float* in, std::int64_t n, const FixSpec& f, float* out) {
  switch (f.round) {
    case RoundMode::DPU_ROUND: return fq_array<RoundMode::DPU_ROUND>(in, n, f, out);
    case RoundMode::STD_ROUND: return fq_array<RoundMode::STD_ROUND>(in, n, f, out);
    default: return fq_array<RoundMode::PY3_ROUND>(in, n, f, out);
  }
}
double fq_sse_entry(const float* in, std::int64_t n, const FixSpec& f) {
  switch (f.round) {
    case RoundMode::DPU_ROUND: return fq_sse<RoundMode::DPU_ROUND>(in, n, f);
    case RoundMode::STD_ROUND: return fq_sse<RoundMode::STD_ROUND>(in, n, f);
    default: return fq_sse<RoundMode::PY3_ROUND>(in, n, f);
  }
}
void fq_sse_multi_entry(const float* in, std::int64_t n, const FixSpec& f, int count, double* sse) {
  switch (f.round) {
    case RoundMode::DPU_ROUND: return fq_sse_multi<RoundMode::DPU_ROUND>(in, n, f, count, sse);
    case RoundMode::STD_ROUND: return fq_sse_multi<RoundMode::STD_ROUND>(in, n, f, count, sse);
    default: return fq_sse_multi<RoundMode::PY3_ROUND>(in, n, f, count, sse);
  }
}
}  // namespace dputk::engine::avx2
