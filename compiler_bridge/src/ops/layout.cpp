// Layout ops (flatten, reshape, squeeze, identity) with a fix directly after them → one reshape-fix
// (it requantizes when the fix points differ); the DPU's data movers run reshape-fix, upload, download.
#include "compiler_ops.hpp"
#include "dputk/dpu/op_traits.hpp"

namespace dputk::compiler_ops {

void register_layout() {
  for (const char* t : {"flatten", "reshape", "squeeze", "identity"})
    add_lower_rule(t, [](LowerContext& cx, const Group& g) -> xir::Op* {
      const xir::Op* c = g.compute;
      auto a = xir::Attrs::create();
      a->set_attr<IV>("shape", c->get_output_tensor()->get_shape());
      if (cx.has_value(c))  // the layout op has other consumers and was lowered on its own
        return cx.add(c->get_name() + "_fix", "reshape-fix", std::move(a), {{"input", {cx.value(c).op}}}, g.fp);
      return cx.add(c->get_name(), "reshape-fix", std::move(a), {{"input", {cx.value(c->get_input_op("input")).op}}}, g.fp);
    });
  for (const char* t : {"reshape-fix", "upload", "download"})
    add_dpu_limits(t, [](const xir::Op&, const compiler::EngineLimits&) { return std::string(); });
}

}  // namespace dputk::compiler_ops
