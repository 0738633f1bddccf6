// Internal: the matmul shape (x [M, K] · w [K, N] or w [N, K] with transpose_b) and bias, shared by
// the reference and oneDNN kernels.
#pragma once
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine::ops {

struct Matmul {
  bool transpose_b = false;
  int k = 0, n = 0;
  std::vector<float> bias;
  const FloatTensor* constant_b = nullptr;  // the second input when it is constant
};
Matmul prepare_matmul(const FloatKernelArgs& a);

}  // namespace dputk::engine::ops
