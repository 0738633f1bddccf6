// stack (float): the inputs one after the other along a new leading axis.
#include <cstring>

#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_stack(OpRegistry& r) {
  r.add_float("stack", KernelKind::REFERENCE, [](const FloatKernelArgs&) {
    return float_lambda([](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      std::size_t off = 0;
      for (const auto* x : in) {
        std::memcpy(out.data.data() + off, x->data.data(), x->data.size() * sizeof(float));
        off += x->data.size();
      }
    });
  });
}

}  // namespace dputk::engine
