// maxpool2d, and avgpool2d as the quantizer writes it (avgpool2d · the DPU's N/2^M factor, a mul) →
// pool-fix MAX / AVG; what the DPU's ALU (pool) engine accepts.
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

namespace {

bool is_avg_pattern(const xir::Op* mul) {
  auto ins = mul->get_input_ops("input");
  return ins.size() == 2 && ins[0]->get_type() == "avgpool2d" && ins[1]->get_type() == "const";
}

xir::Op* lower_pool(LowerContext& cx, const Group& g) {
  const xir::Op* c = g.compute;
  const bool avg = c->get_type() == "mul";
  if (avg && !is_avg_pattern(c)) return nullptr;  // a plain mul: no DPU form here, it runs on the CPU
  const xir::Op* pool = avg ? c->get_input_ops("input")[0] : c;
  cx.absorb(pool);
  if (avg) cx.absorb(c->get_input_ops("input")[1]);
  if (g.act) fail(g.act, "an activation after pooling cannot be fused on the DPU");
  auto a = xir::Attrs::create();
  const IV& in = pool->get_input_tensor("input")->get_shape();
  if (pool->get_attr_or<bool>("global", false)) {
    a->set_attr<IV>("kernel", {in[2], in[1]});
    a->set_attr<IV>("stride", {in[2], in[1]});
    a->set_attr<IV>("pad", {0, 0, 0, 0});
  } else {
    copy_window(pool, *a, false);
    a->set_attr<IV>("pad", effective_pad(pool));
  }
  a->set_attr<std::string>("type", avg ? "AVG" : "MAX");
  xir::Op* p = cx.add(pool->get_name(), "pool-fix", std::move(a), {{"input", {cx.value(pool->get_input_op("input")).op}}}, g.fp);
  p->set_attr<std::string>("__float_source", pool->get_name());
  return p;
}

}  // namespace

void register_pool() {
  add_lower_rule("maxpool2d", lower_pool);
  add_lower_rule("mul", lower_pool);
  add_dpu_limits("pool-fix", [](const xir::Op& op, const compiler::EngineLimits& l) -> std::string {
    const std::string type = op.get_attr<std::string>("type");
    if (type != "MAX" && type != "AVG") return "pool type " + type + " is not a DPU pooling";
    return alu_window_reason(op, l);
  });
  add_dpu_hint("pool-fix", [](const xir::Op&) -> std::string { return "keep kernel, stride and padding within the ALU engine's limits"; });
}

}  // namespace dputk::compiler_ops
