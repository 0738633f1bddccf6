// hard-sigmoid (float), as XIR defines it: f(x) = relu6(x + 3) / 6 — PyTorch's Hardsigmoid, ONNX
// HardSigmoid with alpha = 1/6, beta = 0.5 (MobileNetV3's squeeze-and-excitation gate) — and the
// quantizer's form hard-sigmoid-fix (XIR: relu6(x + 3) · 2731 / 2^14, the DPU's constant for 1/6).
// The fix form is exact in float for int8 inputs at fix points up to 10: (x·2^-fi + 3)·2731 needs
// fewer than 24 bits, so a fix op after it rounds what the DPU's integer hard-sigmoid rounds
// (dpu::hsigmoid_output).
#include <algorithm>

#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

namespace {
template <typename F>
FloatFactory elementwise(F f) {
  return [f](const FloatKernelArgs&) {
    return float_lambda([f](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      const float* x = in[0]->data.data();
      for (std::int64_t i = 0; i < out.numel(); ++i) out.data[i] = f(std::min(std::max(x[i] + 3.0f, 0.0f), 6.0f));
    });
  };
}
}  // namespace

void register_hard_sigmoid(OpRegistry& r) {
  r.add_float("hard-sigmoid", KernelKind::REFERENCE, elementwise([](float r6) { return r6 / 6.0f; }));
  r.add_float("hard-sigmoid-fix", KernelKind::REFERENCE, elementwise([](float r6) { return r6 * (2731.0f / 16384.0f); }));
}

}  // namespace dputk::engine
