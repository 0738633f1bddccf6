// pad → pad-fix and strided_slice → strided_slice-fix. No DPU engine runs them alone; rewrite_for_dpu
// (dpu_rewrites.cpp) turns the cases with an exact DPU form into pool-fix / conv2d-fix.
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

bool is_channel_window(const xir::Op& op, int* first) {
  const IV in = op.get_input_tensor("input")->get_shape(), out = op.get_output_tensor()->get_shape();
  const IV begin = op.get_attr_or<IV>("begin", {}), strides = op.get_attr_or<IV>("strides", {});
  if (in.size() != 4 || out.size() != 4 || begin.size() != 4 || strides.size() != 4) return false;
  for (int a = 0; a < 4; ++a)
    if (strides[a] != 1 || (a < 3 && (begin[a] != 0 || out[a] != in[a]))) return false;
  if (begin[3] < 0 || begin[3] + out[3] > in[3]) return false;
  *first = begin[3];
  return true;
}

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
    const auto fp = [](const xir::Tensor* t) { return t->has_attr("fix_point") ? t->get_attr<std::int32_t>("fix_point") : 0; };
    int first = 0;
    if (is_channel_window(op, &first) && fp(op.get_input_tensor("input")) == fp(op.get_output_tensor())) return std::string();
    return "a standalone strided_slice-fix is not a DPU engine op (only a window of channels at the same fix point is; "
           "one to another fix point becomes a 1×1 convolution, dpu_rewrites.cpp)";
  });
  add_dpu_hint("pad-fix", [](const xir::Op&) -> std::string {
    return "a zero spatial pad right before a convolution or average pool is folded into its padding; others stay on the CPU";
  });
}

}  // namespace dputk::compiler_ops
