// Internal: what the reference and the optimized convolution kernels share (TFLite Micro's
// conv_common): the float layer's window, weights and bias; the fix layer's window, int8 parameters
// and the DPU shifts.
#pragma once
#include <vector>

#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine::ops {

struct FloatConv {
  bool depthwise = false;
  ref::Window2d g;
  std::vector<float> weights, bias;
};
FloatConv prepare_float_conv(const FloatKernelArgs& a);

struct FixConv {
  bool depthwise = false;
  ref::Window2d g;
  const DpuTensor* weights = nullptr;
  const DpuTensor* bias = nullptr;  // nullptr: no bias
  dpu::ConvShift shift;
  bool non_negative_input = false;
};
FixConv prepare_fix_conv(const FixKernelArgs& a);
// The DPU shifts of a convolution-like fix op (conv2d-fix, depthwise, transposed): shift_cut and
// shift_bias from the input, weight, bias and output fix points; nonlinear (HSIGMOID's attrs checked).
dpu::ConvShift conv_shift_of(const xir::Op& op, const DpuTensor& weights, const DpuTensor* bias);

// The fix point of a fix-form op's output (tensor attr, else op attr); throws naming the op.
int fix_point_of(const xir::Op& op);

}  // namespace dputk::engine::ops
