// softmax (float) along `axis`. After the DPU it runs on the CPU behind a fix2float, as every float op
// of a CPU subgraph does (the executor feeds it dequantized values).
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_softmax(OpRegistry& r) {
  r.add_float("softmax", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    const int axis = a.op.get_attr_or<std::int32_t>("axis", -1);
    return float_lambda([axis](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      ref::softmax(in[0]->data.data(), in[0]->shape, axis < 0 ? axis + static_cast<int>(out.shape.size()) : axis, out.data.data());
    });
  });
}

}  // namespace dputk::engine
