// sigmoid (1 / (1 + e^-x)), tanh and prelu (x > 0 ? x : slope[c] · x, one slope or one per channel —
// the last dimension) in float: ops with no DPU form here, run on the CPU.
#include <cmath>

#include "dputk/dpu/op_error.hpp"
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_sigmoid(OpRegistry& r) {
  r.add_float("sigmoid", KernelKind::REFERENCE, [](const FloatKernelArgs&) {
    return float_lambda([](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      for (std::int64_t i = 0; i < out.numel(); ++i) out.data[i] = 1.0f / (1.0f + std::exp(-in[0]->data[i]));
    });
  });
  r.add_float("tanh", KernelKind::REFERENCE, [](const FloatKernelArgs&) {
    return float_lambda([](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      for (std::int64_t i = 0; i < out.numel(); ++i) out.data[i] = std::tanh(in[0]->data[i]);
    });
  });
  r.add_float("prelu", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    const std::int64_t channels = a.op.get_output_tensor()->get_shape().back();
    const std::int64_t slopes = a.op.get_input_tensor("weight")->get_element_num();
    if (slopes != 1 && slopes != channels)
      dpu::op_fail(a.op, "needs one slope or one per channel (" + std::to_string(channels) + "), got " + std::to_string(slopes));
    return float_lambda([channels, slopes](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      const float* s = in[1]->data.data();
      for (std::int64_t i = 0; i < out.numel(); ++i) {
        const float x = in[0]->data[i];
        out.data[i] = x > 0 ? x : x * s[slopes == 1 ? 0 : i % channels];
      }
    });
  });
}

}  // namespace dputk::engine
