// add / mul (+ fused ReLU) → eltwise-fix ADD / MUL, and what the DPU's eltwise engine accepts.
#include "compiler_ops.hpp"
#include "dputk/dpu/op_traits.hpp"

namespace dputk::compiler_ops {

namespace {

// add → eltwise-fix ADD; mul of two feature maps → eltwise-fix MUL (a mul by a constant has no
// eltwise form: nullptr, the CPU). The activation the group fuses must be none or ReLU.
LowerRule eltwise_rule(const std::string& type) {
  return [type](LowerContext& cx, const Group& g) -> xir::Op* {
    const xir::Op* c = g.compute;
    const auto inputs = c->get_input_ops("input");
    for (const xir::Op* i : inputs)
      if (i->get_type() == "const" || (i->get_type() == "fix" && i->get_input_op("input")->get_type() == "const")) return nullptr;
    std::vector<xir::Op*> ins;
    for (const xir::Op* i : inputs) ins.push_back(cx.value(i).op);
    const std::string nl = g.act ? dpu::dpu_nonlinear_of(g.act) : "NONE";
    if (nl != "NONE" && nl != "RELU") return nullptr;
    auto a = xir::Attrs::create();
    a->set_attr<std::string>("type", type);
    a->set_attr<std::string>("nonlinear", nl);
    return cx.add(c->get_name(), "eltwise-fix", std::move(a), {{"input", ins}}, g.fp);
  };
}

}  // namespace

void register_eltwise() {
  add_lower_rule("add", eltwise_rule("ADD"));
  add_lower_rule("mul", eltwise_rule("MUL"));
  add_dpu_limits("eltwise-fix", [](const xir::Op& op, const compiler::EngineLimits&) -> std::string {
    const std::string type = op.get_attr_or<std::string>("type", "ADD");
    if (type != "ADD" && type != "MUL") return "eltwise type " + type + " is not supported";
    if (std::string why = dpu::eltwise_fix_shape_problem(op); !why.empty()) return why;
    return check_nonlinear(op, {"NONE", "RELU"}, "eltwise engine");
  });
  add_dpu_hint("eltwise-fix", [](const xir::Op&) -> std::string { return "the eltwise engine adds or multiplies feature maps, with no activation or a ReLU"; });
}

}  // namespace dputk::compiler_ops
