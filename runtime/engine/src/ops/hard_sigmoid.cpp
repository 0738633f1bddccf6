// hard-sigmoid (float), as XIR defines it: f(x) = relu6(x + 3) / 6 — PyTorch's Hardsigmoid, ONNX
// HardSigmoid with alpha = 1/6, beta = 0.5 (MobileNetV3's squeeze-and-excitation gate).
#include <algorithm>

#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_hard_sigmoid(OpRegistry& r) {
  r.add_float("hard-sigmoid", KernelKind::REFERENCE, [](const FloatKernelArgs&) {
    return float_lambda([](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      const float* x = in[0]->data.data();
      for (std::int64_t i = 0; i < out.numel(); ++i) out.data[i] = std::min(std::max(x[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
    });
  });
}

}  // namespace dputk::engine
