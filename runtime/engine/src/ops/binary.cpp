// add, sub, mul, div, max, min (float, NumPy broadcasting, n-ary ops folded left).
#include <map>

#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_binary(OpRegistry& r) {
  static const std::map<std::string, int> kinds = {{"add", 0}, {"sub", 1}, {"mul", 2}, {"div", 3}, {"max", 4}, {"min", 5}};
  for (const auto& [type, kind_id] : kinds) {
    const int kind = kind_id;
    r.add_float(type, KernelKind::REFERENCE, [kind](const FloatKernelArgs&) {
      return float_lambda([kind](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
        ref::broadcast_binary(kind, in[0]->data.data(), in[0]->shape, in[1]->data.data(), in[1]->shape, out.data.data(), out.shape);
        for (std::size_t i = 2; i < in.size(); ++i)
          ref::broadcast_binary(kind, out.data.data(), out.shape, in[i]->data.data(), in[i]->shape, out.data.data(), out.shape);
      });
    });
  }
}

}  // namespace dputk::engine
