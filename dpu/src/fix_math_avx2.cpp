// The fake-quantization kernels built with AVX2 (this file gets -mavx2 on x86-64); fix_math.cpp
// calls them only when the CPU has AVX2.
#define FIX_MATH_NS avx2
#include "fix_math_kernels.inc"

