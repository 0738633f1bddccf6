// The fake-quantization kernels built with AVX-512 (this file gets -mavx512f on x86-64); fix_math.cpp
// calls them only when the CPU has AVX-512F. Calibration spends most of its non-convolution time here.
#define FIX_MATH_NS avx512
#include "fix_math_kernels.inc"
