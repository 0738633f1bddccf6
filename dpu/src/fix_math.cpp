#include "dputk/dpu/fix_math.hpp"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#define FIX_MATH_NS baseline
#include "fix_math_kernels.inc"

namespace dputk::dpu {

#define DECLARE_FIX_MATH_ENTRIES(NS)                                                             \
  namespace NS {                                                                                 \
  void min_max_entry(const float* in, std::int64_t n, float* lo, float* hi);                     \
  void q8_array_entry(const float* in, std::int64_t n, const FixSpec& f, std::int8_t* out);      \
  void fq_array_entry(const float* in, std::int64_t n, const FixSpec& f, float* out);            \
  double fq_sse_entry(const float* in, std::int64_t n, const FixSpec& f);                        \
  void fq_sse_multi_entry(const float* in, std::int64_t n, const FixSpec& f, int count, double* sse, const FixSpec* apply, \
                          float* out);                                                                       \
  }
DECLARE_FIX_MATH_ENTRIES(avx2)
DECLARE_FIX_MATH_ENTRIES(avx512)

namespace {
enum class Isa { BASELINE, AVX2, AVX512 };
Isa isa() {
#if defined(__x86_64__) && defined(DPUTK_HAVE_AVX2_KERNELS)
  static const Isa best = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                                  __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
                              ? Isa::AVX512
                          : __builtin_cpu_supports("avx2") ? Isa::AVX2
                                                           : Isa::BASELINE;
  // DPUTK_FIX_MATH_ISA=baseline|avx2 caps it (tests hold every build equal; benchmarks compare them).
  if (const char* cap = std::getenv("DPUTK_FIX_MATH_ISA")) {
    if (std::strcmp(cap, "baseline") == 0) return Isa::BASELINE;
    if (std::strcmp(cap, "avx2") == 0 && best != Isa::BASELINE) return Isa::AVX2;
  }
  return best;
#else
  return Isa::BASELINE;
#endif
}
}  // namespace

// The same kernel source, built three times; the widest the CPU runs is used.
#define DISPATCH(CALL)                     \
  switch (isa()) {                         \
    case Isa::AVX512: return avx512::CALL; \
    case Isa::AVX2: return avx2::CALL;     \
    default: return baseline::CALL;        \
  }

void min_max(const float* in, std::int64_t n, float* lo, float* hi) { DISPATCH(min_max_entry(in, n, lo, hi)) }

void quantize_array(const float* in, std::int64_t n, const FixSpec& f, std::int8_t* out) {
  if (f.bit_width != 8 || !f.if_signed) throw std::invalid_argument("quantize_array: signed 8-bit fix specs only");
  DISPATCH(q8_array_entry(in, n, f, out))
}

void fake_quantize_array(const float* in, std::int64_t n, const FixSpec& f, float* out) {
  DISPATCH(fq_array_entry(in, n, f, out))
}

double fake_quant_sse(const float* in, std::int64_t n, const FixSpec& f) { DISPATCH(fq_sse_entry(in, n, f)) }

void fake_quant_sse_multi(const float* in, std::int64_t n, const FixSpec& first, int count, double* sse) {
  if (count < 1 || count > 16) throw std::invalid_argument("fake_quant_sse_multi: 1 to 16 candidates");
  DISPATCH(fq_sse_multi_entry(in, n, first, count, sse, nullptr, nullptr))
}

void fake_quant_sse_multi_apply(const float* in, std::int64_t n, const FixSpec& first, int count, double* sse, const FixSpec& apply,
                                float* out) {
  if (count < 1 || count > 16) throw std::invalid_argument("fake_quant_sse_multi: 1 to 16 candidates");
  if (apply.round != first.round) throw std::invalid_argument("fake_quant_sse_multi_apply: one rounding mode");
  DISPATCH(fq_sse_multi_entry(in, n, first, count, sse, &apply, out))
}

}  // namespace dputk::dpu
