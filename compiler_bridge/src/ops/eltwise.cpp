// add (+ fused ReLU) → eltwise-fix ADD, and what the DPU's eltwise engine accepts.
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

void register_eltwise() {
  add_lower_rule("add", [](LowerContext& cx, const Group& g) -> xir::Op* {
    const xir::Op* c = g.compute;
    auto a = xir::Attrs::create();
    a->set_attr<std::string>("type", "ADD");
    const std::string nl = nonlinear_of(g.act);
    if (nl != "NONE" && nl != "RELU") fail(c, "eltwise add can only fuse ReLU");
    a->set_attr<std::string>("nonlinear", nl);
    std::vector<xir::Op*> ins;
    for (const xir::Op* i : c->get_input_ops("input")) ins.push_back(cx.value(i).op);
    return cx.add(c->get_name(), "eltwise-fix", std::move(a), {{"input", ins}}, g.fp);
  });
  add_dpu_limits("eltwise-fix", [](const xir::Op& op, const compiler::EngineLimits&) -> std::string {
    const std::string type = op.get_attr_or<std::string>("type", "ADD");
    if (type != "ADD" && type != "MUL") return "eltwise type " + type + " is not supported";
    return check_nonlinear(op, {"NONE", "RELU"}, "eltwise engine");
  });
  add_dpu_hint("eltwise-fix", [](const xir::Op&) -> std::string { return "the eltwise engine adds, with no activation or a ReLU"; });
}

}  // namespace dputk::compiler_ops
