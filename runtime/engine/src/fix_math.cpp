#include "dputk/engine/fix_math.hpp"

#include <stdexcept>

#define FIX_MATH_NS baseline
#include "fix_math_kernels.inc"

namespace dputk::engine {

namespace avx2 {
void fq_array_entry(const float* in, std::int64_t n, const FixSpec& f, float* out);
double fq_sse_entry(const float* in, std::int64_t n, const FixSpec& f);
void fq_sse_multi_entry(const float* in, std::int64_t n, const FixSpec& f, int count, double* sse);
}  // namespace avx2

namespace {
bool use_avx2() {
#if defined(__x86_64__) && defined(DPUTK_HAVE_AVX2_KERNELS)
  static const bool ok = __builtin_cpu_supports("avx2");
  return ok;
#else
  return false;
#endif
}
}  // namespace

void fake_quantize_array(const float* in, std::int64_t n, const FixSpec& f, float* out) {
  if (use_avx2()) return avx2::fq_array_entry(in, n, f, out);
  baseline::fq_array_entry(in, n, f, out);
}

double fake_quant_sse(const float* in, std::int64_t n, const FixSpec& f) {
  return use_avx2() ? avx2::fq_sse_entry(in, n, f) : baseline::fq_sse_entry(in, n, f);
}

void fake_quant_sse_multi(const float* in, std::int64_t n, const FixSpec& first, int count, double* sse) {
  if (count < 1 || count > 16) throw std::invalid_argument("fake_quant_sse_multi: 1 to 16 candidates");
  if (use_avx2()) return avx2::fq_sse_multi_entry(in, n, first, count, sse);
  baseline::fq_sse_multi_entry(in, n, first, count, sse);
}

}  // namespace dputk::engine
