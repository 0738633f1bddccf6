// sigmoid (float): 1 / (1 + e^-x).
#include <cmath>

#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_sigmoid(OpRegistry& r) {
  r.add_float("sigmoid", KernelKind::REFERENCE, [](const FloatKernelArgs&) {
    return float_lambda([](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      for (std::int64_t i = 0; i < out.numel(); ++i) out.data[i] = 1.0f / (1.0f + std::exp(-in[0]->data[i]));
    });
  });
}

}  // namespace dputk::engine
