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
  add_dpu_limits("pad-fix", [](const xir::Op& op, const compiler::EngineLimits&) { return "a standalone " + op.get_type() + " is not a DPU engine op"; });
  // A window of channels at the same fix point is an address offset for the DPU's load engine (how a
  // grouped convolution's per-group convolutions, or ShuffleNet's channel split, read their inputs).
  add_dpu_limits("strided_slice-fix", [](const xir::Op& op, const compiler::EngineLimits&) -> std::string {
    const IV in = op.get_input_tensor("input")->get_shape(), out = op.get_output_tensor()->get_shape();
    const IV strides = op.get_attr<IV>("strides");
    bool channel_window = in.size() == 4 && out.size() == 4;
    for (std::size_t i = 0; channel_window && i < 3; ++i) channel_window = in[i] == out[i];
    for (auto s : strides) channel_window = channel_window && s == 1;
    const auto fp = [](const xir::Tensor* t) { return t->has_attr("fix_point") ? t->get_attr<std::int32_t>("fix_point") : 0; };
    if (channel_window && fp(op.get_input_tensor("input")) == fp(op.get_output_tensor())) return std::string();
    return "a standalone strided_slice-fix is not a DPU engine op (only a window of channels at the same fix point is)";
  });
  add_dpu_hint("pad-fix", [](const xir::Op&) -> std::string {
    return "a zero spatial pad right before a convolution or average pool is folded into its padding; others stay on the CPU";
  });
}

}  // namespace dputk::compiler_ops
