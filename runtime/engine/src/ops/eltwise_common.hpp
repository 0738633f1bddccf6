// Internal: what the reference (eltwise_fix.cpp) and the optimized (fast/eltwise_fix_simd.cpp)
// eltwise-fix kernels share: the op's attributes, the reference kernels the optimized ones fall back
// to, and MUL's broadcast rule.
#pragma once
#include <vector>

#include "dputk/engine/op_registry.hpp"

namespace dputk::engine::ops {

struct EltwiseSpec {
  bool relu;
  bool mul;
};
EltwiseSpec prepare_eltwise_fix(const xir::Op& op);
void eltwise_fix_ref(const std::vector<const DpuTensor*>& in, DpuTensor& out, bool relu);
void eltwise_mul_ref(const std::vector<const DpuTensor*>& in, DpuTensor& out, bool relu);

// A MUL input is a full map (as many values as the output) or a [N, 1, 1, C] channel scale, broadcast
// over each image's pixels (squeeze-and-excitation).
inline bool is_full_map(const DpuTensor& x, const DpuTensor& out) { return x.numel() == out.numel(); }

}  // namespace dputk::engine::ops
