// pad → pad-fix and strided_slice → strided_slice-fix. No DPU engine runs them alone; the cases with an
// exact DPU form are rewritten into pool-fix / conv2d-fix (their rewrites below).
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

namespace {

// strided_slice-fix that keeps every element of N and C and subsamples H/W from index 0.
bool is_spatial_subsample(const xir::Op& op, IV* stride_wh) {
  const IV begin = op.get_attr_or<IV>("begin", {}), strides = op.get_attr_or<IV>("strides", {});
  const IV& in = op.get_input_tensor("input")->get_shape();
  const IV& out = op.get_output_tensor()->get_shape();
  if (begin.size() != 4 || strides.size() != 4 || in.size() != 4) return false;
  for (int a = 0; a < 4; ++a)
    if (begin[a] != 0 || strides[a] < 1) return false;
  if (strides[0] != 1 || strides[3] != 1 || out[0] != in[0] || out[3] != in[3]) return false;
  for (int a : {1, 2})
    if (out[a] != (in[a] + strides[a] - 1) / strides[a]) return false;
  *stride_wh = {strides[2], strides[1]};
  return true;
}

// strided_slice-fix taking a window of channels at its input's fix point: an address offset for the
// DPU's load engine (its limits below); to another fix point it needs a requantization (a rewrite below).
bool is_same_fix_point(const xir::Op& op) { return fix_point_of(op.get_input_tensor("input")) == fix_point_of(op.get_output_tensor()); }

// pad-fix that only zero-pads channels (NHWC paddings: before/after pairs per dimension).
bool is_channel_zero_pad(const xir::Op& op, int* before) {
  const IV p = op.get_attr<IV>("paddings");
  if (p.size() != 8 || op.get_attr<std::string>("mode") != "CONSTANT") return false;
  if (op.has_attr("constant_values")) {
    const auto& v = op.get_attr<std::vector<char>>("constant_values");
    for (char c : v)
      if (c != 0) return false;
  }
  for (int i = 0; i < 6; ++i)
    if (p[i] != 0) return false;
  *before = p[6];
  return true;
}

}  // namespace

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
    int first = 0;
    if (is_channel_window(op, &first) && is_same_fix_point(op)) return std::string();
    return "a standalone strided_slice-fix is not a DPU engine op (only a window of channels at the same fix point is; "
           "one to another fix point becomes a 1×1 convolution)";
  });
  // The exact DPU forms (compiler::rewrite_for_dpu): a spatial subsample is a 1×1 max pool with the
  // stride; a channel zero-pad and a window of channels to another fix point are 1×1 convolutions with
  // one-hot weights.
  add_dpu_rewrite("strided_slice-fix", [](xir::Graph& g, xir::Op& op) -> std::string {
    IV stride;
    if (!is_spatial_subsample(op, &stride)) return {};
    const std::string name = op.get_name();
    auto a = xir::Attrs::create();
    a->set_attr<IV>("kernel", {1, 1});
    a->set_attr<IV>("stride", stride);
    a->set_attr<IV>("pad", {0, 0, 0, 0});
    a->set_attr<std::string>("type", "MAX");
    replace_op(g, &op, "_as_pool", "pool-fix", std::move(a), {{"input", {op.get_input_op("input")}}});
    return name + ": strided_slice-fix → pool-fix MAX 1×1 stride [" + std::to_string(stride[0]) + ", " + std::to_string(stride[1]) + "]";
  });
  add_dpu_rewrite("strided_slice-fix", [](xir::Graph& g, xir::Op& op) -> std::string {
    int first = 0;
    if (!is_channel_window(op, &first) || is_same_fix_point(op)) return {};
    const std::string name = op.get_name();
    std::vector<int> source(static_cast<std::size_t>(op.get_output_tensor()->get_shape().back()));
    for (std::size_t c = 0; c < source.size(); ++c) source[c] = first + static_cast<int>(c);
    if (!as_one_hot_conv(g, &op, op.get_input_op("input"), source, fix_point_of(op.get_input_tensor("input")), fix_point_of(op.get_output_tensor())))
      return {};
    return name + ": window of channels to another fix point → 1×1 conv2d-fix with one-hot weights";
  });
  add_dpu_rewrite("pad-fix", [](xir::Graph& g, xir::Op& op) -> std::string {
    int before = 0;
    if (!is_channel_zero_pad(op, &before)) return {};
    const std::string name = op.get_name();
    const int ic = op.get_input_tensor("input")->get_shape().back();
    std::vector<int> source(static_cast<std::size_t>(op.get_output_tensor()->get_shape().back()), -1);
    for (int i = 0; i < ic; ++i) source[static_cast<std::size_t>(i + before)] = i;
    if (!as_one_hot_conv(g, &op, op.get_input_op("input"), source, fix_point_of(op.get_input_tensor("input")), fix_point_of(op.get_output_tensor())))
      return {};
    return name + ": channel zero-pad → 1×1 conv2d-fix with one-hot weights";
  });
  add_dpu_hint("pad-fix", [](const xir::Op&) -> std::string {
    return "a zero spatial pad right before a convolution or average pool is folded into its padding; others stay on the CPU";
  });
}

}  // namespace dputk::compiler_ops
