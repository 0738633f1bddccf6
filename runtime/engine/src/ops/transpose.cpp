// transpose (float): output dim d = input dim order[d].
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_transpose(OpRegistry& r) {
  r.add_float("transpose", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    auto order = a.op.get_attr<std::vector<std::int32_t>>("order");
    return float_lambda([order](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      ref::transpose(in[0]->data.data(), in[0]->shape, order, out.data.data());
    });
  });
}

}  // namespace dputk::engine
