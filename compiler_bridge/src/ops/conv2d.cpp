// conv2d / depthwise-conv2d (+ fused activation) → conv2d-fix / depthwise-conv2d-fix, and what the DPU's
// conv engine (conv2d-fix) and ALU engine (depthwise-conv2d-fix) accept (UG1414 limits, target table).
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

namespace {

std::unique_ptr<xir::Attrs> conv_fix_attrs(const Group& g, int group, int in_dim, int out_dim) {
  const xir::Op* c = g.compute;
  auto a = xir::Attrs::create();
  copy_window(c, *a, true);
  a->set_attr<IV>("pad", effective_pad(c));
  a->set_attr<IV>("stride", unit_stride_where_single(c));
  a->set_attr<std::string>("pad_mode", "FLOOR");
  a->set_attr<std::string>("nonlinear", nonlinear_of(g.act));
  if (c->get_type() == "conv2d") a->set_attr<std::int32_t>("group", group);
  a->set_attr<bool>("bias_term", c->get_input_op("bias") != nullptr);
  a->set_attr<std::int32_t>("in_dim", in_dim);
  a->set_attr<std::int32_t>("out_dim", out_dim);
  return a;
}

// Rows [first, first + count) of a const-fix (int8, outermost dimension), as a new const-fix.
xir::Op* const_fix_rows(LowerContext& cx, const xir::Op* full, const std::string& name, int first, int count) {
  IV shape = full->get_output_tensor()->get_shape();
  const auto& data = full->get_attr<std::vector<char>>("data");
  const std::size_t row = data.size() / static_cast<std::size_t>(shape[0]);
  shape[0] = count;
  auto a = xir::Attrs::create();
  a->set_attr<IV>("shape", shape);
  a->set_attr<std::string>("data_type", "XINT8");
  a->set_attr<std::vector<char>>("data", std::vector<char>(data.begin() + static_cast<long>(row * first),
                                                           data.begin() + static_cast<long>(row * (first + count))));
  return cx.add(name, "const-fix", std::move(a), {}, full->get_output_tensor()->get_attr<std::int32_t>("fix_point"));
}

// A grouped convolution as vai_c_xir compiles it for the DPU: per group, the group's input channels
// (a channel window of the feature map) → a conv2d-fix with the group's weights and bias; the outputs
// concatenated along the channels. Same integer arithmetic per output channel, so the same int8 values.
xir::Op* lower_grouped_conv(LowerContext& cx, const Group& g, int group) {
  const xir::Op* c = g.compute;
  const Lowered& x = cx.value(c->get_input_op("input"));
  const IV in_shape = c->get_input_tensor("input")->get_shape();
  const int ic = in_shape.back(), oc = c->get_output_tensor()->get_shape().back();
  if (ic % group != 0 || oc % group != 0) fail(c, "channels are not divisible by the group count");
  const int icg = ic / group, ocg = oc / group;
  const xir::Op* wfix = c->get_input_op("weights");
  const xir::Op* bfix = c->get_input_op("bias");
  xir::Op* w = cx.param(wfix);
  xir::Op* b = bfix ? cx.param(bfix) : nullptr;
  std::vector<xir::Op*> outs;
  for (int k = 0; k < group; ++k) {
    const std::string gname = c->get_name() + "_group" + std::to_string(k);
    auto sa = xir::Attrs::create();
    IV begin(in_shape.size(), 0), end(in_shape.begin(), in_shape.end());
    begin.back() = k * icg;
    end.back() = (k + 1) * icg;
    sa->set_attr<IV>("begin", begin);
    sa->set_attr<IV>("end", end);
    sa->set_attr<IV>("strides", IV(in_shape.size(), 1));
    xir::Op* window = cx.add(gname + "_input", "strided_slice-fix", std::move(sa), {{"input", {x.op}}}, x.fix_point);
    std::map<std::string, std::vector<xir::Op*>> in{{"input", {window}},
                                                     {"weights", {const_fix_rows(cx, w, gname + "_weights", k * ocg, ocg)}}};
    if (b) in["bias"] = {const_fix_rows(cx, b, gname + "_bias", k * ocg, ocg)};
    outs.push_back(cx.add(gname, "conv2d-fix", conv_fix_attrs(g, 1, icg, ocg), in, g.fp));
  }
  // The full weights and bias the quantizer-form fix ops lowered to are replaced by the slices.
  cx.drop_value(wfix);
  cx.out().remove_op(w);
  if (b) {
    cx.drop_value(bfix);
    cx.out().remove_op(b);
  }
  auto ca = xir::Attrs::create();
  ca->set_attr<std::int32_t>("axis", static_cast<std::int32_t>(in_shape.size()) - 1);
  return cx.add(c->get_name(), "concat-fix", std::move(ca), {{"input", outs}}, g.fp);
}

xir::Op* lower_conv(LowerContext& cx, const Group& g) {
  const xir::Op* c = g.compute;
  const std::string& ct = c->get_type();
  const int group = ct == "conv2d" ? c->get_attr_or<std::int32_t>("group", 1) : 1;
  if (group > 1) return lower_grouped_conv(cx, g, group);
  auto a = conv_fix_attrs(g, group, c->get_input_tensor("input")->get_shape().back(), c->get_output_tensor()->get_shape().back());
  std::map<std::string, std::vector<xir::Op*>> in{{"input", {cx.value(c->get_input_op("input")).op}},
                                                   {"weights", {cx.param(c->get_input_op("weights"))}}};
  if (const xir::Op* b = c->get_input_op("bias")) in["bias"] = {cx.param(b)};
  return cx.add(c->get_name(), ct + "-fix", std::move(a), in, g.fp);
}

// transposed-conv2d → transposed-conv2d-fix: the window attributes as they are (the output size is
// (in − 1)·stride + kernel − pads), the fused activation as `nonlinear`.
xir::Op* lower_transposed_conv(LowerContext& cx, const Group& g) {
  const xir::Op* c = g.compute;
  auto a = xir::Attrs::create();
  for (const char* k : {"kernel", "stride", "dilation", "pad"})
    if (c->has_attr(k)) a->set_attr<IV>(k, c->get_attr<IV>(k));
  a->set_attr<std::string>("nonlinear", nonlinear_of(g.act));
  a->set_attr<bool>("bias_term", c->get_input_op("bias") != nullptr);
  std::map<std::string, std::vector<xir::Op*>> in{{"input", {cx.value(c->get_input_op("input")).op}},
                                                   {"weights", {cx.param(c->get_input_op("weights"))}}};
  if (const xir::Op* b = c->get_input_op("bias")) in["bias"] = {cx.param(b)};
  return cx.add(c->get_name(), "transposed-conv2d-fix", std::move(a), in, g.fp);
}

std::string transposed_conv_limits(const xir::Op& op, const compiler::EngineLimits& l) {
  if (auto r = check_range("kernel", op.get_attr<IV>("kernel"), 1, l.conv_kernel_max); !r.empty()) return r;
  if (auto r = check_range("stride", op.get_attr<IV>("stride"), 1, 16); !r.empty()) return r;
  if (op.get_attr_or<IV>("dilation", {1, 1}) != IV{1, 1}) return "dilated transposed convolution";
  const int cp = l.channel_parallel;
  const int ic = op.get_input_tensor("input")->get_shape().back(), oc = op.get_output_tensor()->get_shape().back();
  if (ic > 256 * cp || oc > 256 * cp) return "more than " + std::to_string(256 * cp) + " channels";
  return check_nonlinear(op, {"NONE", "RELU", "RELU6"}, "conv engine (transposed)");
}

std::string conv_limits(const xir::Op& op, const compiler::EngineLimits& l) {
  const IV k = op.get_attr<IV>("kernel"), s = op.get_attr<IV>("stride");
  const IV d = op.get_attr_or<IV>("dilation", {1, 1}), pad = op.get_attr_or<IV>("pad", {0, 0, 0, 0});
  const int group = op.get_attr_or<std::int32_t>("group", 1);
  const int ic = op.get_input_tensor("input")->get_shape().back(), oc = op.get_output_tensor()->get_shape().back();
  if (group != 1) return "grouped convolution (group " + std::to_string(group) + ") is not a DPU conv-engine op";
  if (auto r = check_range("kernel", k, 1, l.conv_kernel_max); !r.empty()) return r;
  if (auto r = check_range("stride", s, 1, l.conv_stride_max); !r.empty()) return r;
  if (pad[0] > (k[0] - 1) * d[0] || pad[1] > (k[0] - 1) * d[0] || pad[2] > (k[1] - 1) * d[1] || pad[3] > (k[1] - 1) * d[1])
    return "padding larger than (kernel-1)·dilation";
  const int cp = l.channel_parallel;
  if (ic > 256 * cp || oc > 256 * cp) return "more than " + std::to_string(256 * cp) + " channels";
  if (d[0] * ic > 256 * cp) return "dilation·input_channel exceeds " + std::to_string(256 * cp);
  if (k[0] * k[1] * ((ic + cp - 1) / cp) > l.bank_depth)
    return "kernel_w·kernel_h·ceil(input_channel/" + std::to_string(cp) + ") exceeds the weight bank depth " + std::to_string(l.bank_depth);
  std::vector<std::string> nl{"NONE", "RELU", "RELU6", "HSIGMOID"};  // UG1414: Hard-Sigmoid fuses into conv2d
  if (l.conv_leaky_relu) nl.push_back("LEAKYRELU");
  return check_nonlinear(op, nl, "conv engine");
}

std::string depthwise_limits(const xir::Op& op, const compiler::EngineLimits& l) {
  if (op.get_input_tensor("weights")->get_shape().at(0) != 1) return "depthwise channel multiplier above 1";
  if (auto r = alu_window_reason(op, l); !r.empty()) return r;
  std::vector<std::string> nl{"NONE", "RELU", "RELU6", "HSIGMOID"};  // the ALU engine's hsigmoid
  if (l.dwconv_leaky_relu) nl.push_back("LEAKYRELU");
  return check_nonlinear(op, nl, "ALU (depthwise) engine");
}

}  // namespace

void register_conv2d() {
  add_lower_rule("conv2d", lower_conv);
  add_lower_rule("depthwise-conv2d", lower_conv);
  add_dpu_limits("conv2d-fix", conv_limits);
  add_dpu_limits("depthwise-conv2d-fix", depthwise_limits);
  add_lower_rule("transposed-conv2d", lower_transposed_conv);
  add_dpu_limits("transposed-conv2d-fix", transposed_conv_limits);
  add_dpu_hint("conv2d-fix", [](const xir::Op& op) -> std::string {
    if (op.get_attr_or<std::int32_t>("group", 1) != 1)
      return "grouped convolutions are split into per-group convolutions by the lowering; this one was not";
    return "keep kernel, stride, padding and channels within the conv engine's limits, and the activation ReLU / ReLU6";
  });
  add_dpu_hint("depthwise-conv2d-fix", [](const xir::Op&) -> std::string {
    return "use channel multiplier 1, kernel / stride / padding within the ALU engine's limits, and ReLU / ReLU6";
  });
}

}  // namespace dputk::compiler_ops
