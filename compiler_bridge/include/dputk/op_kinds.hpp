// Which float-form ops the DPU flow treats as pure data movement, and which activations fuse into
// the preceding conv/eltwise. One table for the quantizer (quant groups) and the lowering.
#pragma once
#include <string>

#include "xir/op/op.hpp"

namespace dputk {

// No arithmetic and no element reordering: they keep their producer's fix point and lower to
// reshape-fix. (transpose reorders elements, so it is not one of them.)
inline bool is_layout_op(const std::string& t) { return t == "flatten" || t == "reshape" || t == "identity" || t == "squeeze"; }
// Activations that share their producer's quant group and become its `nonlinear`.
inline bool is_activation_op(const std::string& t) { return t == "relu" || t == "relu6" || t == "leaky-relu" || t == "clamp"; }
// ReLU6 in either spelling (relu6, or clamp to [0, 6] as ONNX Clip imports): the DPU's RELU6.
inline bool is_relu6(const xir::Op& op) {
  return op.get_type() == "relu6" ||
         (op.get_type() == "clamp" && op.get_attr<float>("min") == 0.0f && op.get_attr<float>("max") == 6.0f);
}

// Float ops the quantizer leaves unquantized after the last fix (vai_q_pytorch does the same); they
// run on the CPU after the DPU, behind a fix2float.
inline bool is_cpu_float_op(const std::string& t) { return t == "softmax"; }

}  // namespace dputk
