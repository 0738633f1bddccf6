// concat → concat-fix (the DPU moves the inputs, requantized to the output fix point).
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

void register_concat() {
  add_lower_rule("concat", [](LowerContext& cx, const Group& g) -> xir::Op* {
    const xir::Op* c = g.compute;
    auto a = xir::Attrs::create();
    a->set_attr<std::int32_t>("axis", c->get_attr<std::int32_t>("axis"));
    std::vector<xir::Op*> ins;
    for (const xir::Op* i : c->get_input_ops("input")) ins.push_back(cx.value(i).op);
    return cx.add(c->get_name(), "concat-fix", std::move(a), {{"input", ins}}, g.fp);
  });
  add_dpu_limits("concat-fix", [](const xir::Op&, const compiler::EngineLimits&) { return std::string(); });
}

}  // namespace dputk::compiler_ops
