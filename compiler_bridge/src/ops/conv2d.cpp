// conv2d / depthwise-conv2d (+ fused activation) → conv2d-fix / depthwise-conv2d-fix, and what the DPU's
// conv engine (conv2d-fix) and ALU engine (depthwise-conv2d-fix) accept (UG1414 limits, target table).
#include "compiler_ops.hpp"

namespace dputk::compiler_ops {

namespace {

xir::Op* lower_conv(LowerContext& cx, const Group& g) {
  const xir::Op* c = g.compute;
  const std::string& ct = c->get_type();
  auto a = xir::Attrs::create();
  copy_window(c, *a, true);
  a->set_attr<IV>("pad", effective_pad(c));
  a->set_attr<IV>("stride", unit_stride_where_single(c));
  a->set_attr<std::string>("pad_mode", "FLOOR");
  a->set_attr<std::string>("nonlinear", nonlinear_of(g.act));
  if (ct == "conv2d") a->set_attr<std::int32_t>("group", c->get_attr_or<std::int32_t>("group", 1));
  a->set_attr<bool>("bias_term", c->get_input_op("bias") != nullptr);
  a->set_attr<std::int32_t>("in_dim", c->get_input_tensor("input")->get_shape().back());
  a->set_attr<std::int32_t>("out_dim", c->get_output_tensor()->get_shape().back());
  std::map<std::string, std::vector<xir::Op*>> in{{"input", {cx.value(c->get_input_op("input")).op}},
                                                   {"weights", {cx.param(c->get_input_op("weights"))}}};
  if (const xir::Op* b = c->get_input_op("bias")) in["bias"] = {cx.param(b)};
  return cx.add(c->get_name(), ct + "-fix", std::move(a), in, g.fp);
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
  std::vector<std::string> nl{"NONE", "RELU", "RELU6"};
  if (l.conv_leaky_relu) nl.push_back("LEAKYRELU");
  return check_nonlinear(op, nl, "conv engine");
}

std::string depthwise_limits(const xir::Op& op, const compiler::EngineLimits& l) {
  if (op.get_input_tensor("weights")->get_shape().at(0) != 1) return "depthwise channel multiplier above 1";
  if (auto r = alu_window_reason(op, l); !r.empty()) return r;
  std::vector<std::string> nl{"NONE", "RELU", "RELU6"};
  if (l.dwconv_leaky_relu) nl.push_back("LEAKYRELU");
  return check_nonlinear(op, nl, "ALU (depthwise) engine");
}

}  // namespace

void register_conv2d() {
  add_lower_rule("conv2d", lower_conv);
  add_lower_rule("depthwise-conv2d", lower_conv);
  add_dpu_limits("conv2d-fix", conv_limits);
  add_dpu_limits("depthwise-conv2d-fix", depthwise_limits);
  add_dpu_hint("conv2d-fix", [](const xir::Op& op) -> std::string {
    if (op.get_attr_or<std::int32_t>("group", 1) != 1)
      return "vai_c_xir splits grouped convolutions into per-group convolutions; dpu-compile does not yet";
    return "keep kernel, stride, padding and channels within the conv engine's limits, and the activation ReLU / ReLU6";
  });
  add_dpu_hint("depthwise-conv2d-fix", [](const xir::Op&) -> std::string {
    return "use channel multiplier 1, kernel / stride / padding within the ALU engine's limits, and ReLU / ReLU6";
  });
}

}  // namespace dputk::compiler_ops
