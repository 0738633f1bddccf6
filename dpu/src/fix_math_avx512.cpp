// The fake-quantization kernels built with AVX-512 (this file gets -mavx512f and friends on x86-64);
// fix_math.cpp calls them only when the CPU has AVX-512. Calibration spends most of its
// non-convolution time here.
// GCC 12 reports its own _mm512_undefined_ps() inside the masked intrinsics as "maybe uninitialized".
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define FIX_MATH_NS avx512
#include "fix_math_kernels.inc"
