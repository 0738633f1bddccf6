// pad → pad-fix and strided_slice → strided_slice-fix. No DPU engine runs them alone; rewrite_for_dpu
// (dpu_rewrites.cpp) turns the cases with an exact DPU form into pool-fix / conv2d-fix.
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

void register_pad_slice() {
  for (const char* t : {"pad", "strided_slice"})
    add_lower_rule(t, [](LowerContext& cx, const Group& g) -> xir::Op* {
      const xir::Op* c = g.compute;
      auto a = c->get_attrs();
      if (c->get_type() == "pad") a->del_attr("constant_values");
      return cx.add(c->get_name(), c->get_type() + "-fix", std::move(a), {{"input", {cx.value(c->get_input_op("input")).op}}}, g.fp);
    });
  for (const char* t : {"pad-fix", "strided_slice-fix"})
    add_dpu_limits(t, [](const xir::Op& op, const compiler::EngineLimits&) { return "a standalone " + op.get_type() + " is not a DPU engine op"; });
  add_dpu_hint("pad-fix", [](const xir::Op&) -> std::string {
    return "a zero spatial pad right before a convolution or average pool is folded into its padding; others stay on the CPU";
  });
}

}  // namespace dputk::compiler_ops
