// Fast float pooling (NHWC) and matmul with oneDNN, cached per batch size.
#pragma once
#include <memory>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::fast {

class DnnlPool {
 public:
  // avg: average (count_include_pad selects padding counted or not); otherwise max. int8: s8 data
  // (max pooling only — it is exact in integers).
  DnnlPool(const ref::Window2d& geometry, bool avg, bool count_include_pad, bool int8 = false);
  ~DnnlPool();
  void run(const void* in, void* out, int batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class DnnlMatmul {
 public:
  // y[m, n] = x[m, k] · W + bias, W [k, n] or (transpose_b) [n, k].
  DnnlMatmul(const float* weights, const float* bias, int k, int n, bool transpose_b);
  ~DnnlMatmul();
  void run(const float* x, float* y, int m);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dputk::engine::fast
