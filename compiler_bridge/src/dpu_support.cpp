// Which fix-form ops the DPUCZDX8G engines run (target description + UG1414 limits).
#include "dputk/compiler/partition.hpp"

#include <set>

namespace dputk::compiler {

namespace {

using IV = std::vector<std::int32_t>;

std::string pair_text(const IV& v) { return "[" + std::to_string(v.at(0)) + ", " + std::to_string(v.at(1)) + "]"; }

std::string check_range(const char* what, const IV& v, int lo, int hi) {
  for (int x : v)
    if (x < lo || x > hi)
      return std::string(what) + " " + pair_text(v) + " is outside the engine's range " + std::to_string(lo) + "–" + std::to_string(hi);
  return "";
}

std::string check_nonlinear(const xir::Op& op, const std::set<std::string>& allowed, const char* engine) {
  const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
  if (nl.empty() || allowed.count(nl)) return "";
  return "nonlinear " + nl + " is not supported by the " + engine;
}

std::string conv_reason(const xir::Op& op, const EngineLimits& l) {
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
  std::set<std::string> nl{"NONE", "RELU", "RELU6"};
  if (l.conv_leaky_relu) nl.insert("LEAKYRELU");
  return check_nonlinear(op, nl, "conv engine");
}

std::string alu_window_reason(const xir::Op& op, const EngineLimits& l) {
  const IV k = op.get_attr<IV>("kernel"), s = op.get_attr<IV>("stride");
  const IV pad = op.get_attr_or<IV>("pad", {0, 0, 0, 0});
  if (auto r = check_range("kernel", k, 1, l.alu_kernel_max); !r.empty()) return r;
  if (auto r = check_range("stride", s, 1, l.alu_stride_max); !r.empty()) return r;
  if (pad[0] > l.alu_pad_lt_max || pad[2] > l.alu_pad_lt_max) return "left/top padding above " + std::to_string(l.alu_pad_lt_max);
  if (pad[1] > l.alu_pad_rb_max || pad[3] > l.alu_pad_rb_max) return "right/bottom padding above " + std::to_string(l.alu_pad_rb_max);
  return "";
}

}  // namespace

std::string why_not_on_dpu(const xir::Op& op, const EngineLimits& l) {
  const std::string& t = op.get_type();
  if (t == "conv2d-fix") return conv_reason(op, l);
  if (t == "depthwise-conv2d-fix") {
    if (op.get_input_tensor("weights")->get_shape().at(0) != 1) return "depthwise channel multiplier above 1";
    if (auto r = alu_window_reason(op, l); !r.empty()) return r;
    std::set<std::string> nl{"NONE", "RELU", "RELU6"};
    if (l.dwconv_leaky_relu) nl.insert("LEAKYRELU");
    return check_nonlinear(op, nl, "ALU (depthwise) engine");
  }
  if (t == "pool-fix") {
    const std::string type = op.get_attr<std::string>("type");
    if (type != "MAX" && type != "AVG") return "pool type " + type + " is not a DPU pooling";
    return alu_window_reason(op, l);
  }
  if (t == "eltwise-fix") {
    const std::string type = op.get_attr_or<std::string>("type", "ADD");
    if (type != "ADD" && type != "MUL") return "eltwise type " + type + " is not supported";
    return check_nonlinear(op, {"NONE", "RELU"}, "eltwise engine");
  }
  if (t == "concat-fix" || t == "reshape-fix" || t == "upload" || t == "download") return "";
  if (t == "pad-fix" || t == "strided_slice-fix") return "a standalone " + t + " is not a DPU engine op";
  if (t.size() > 4 && t.compare(t.size() - 4, 4, "-fix") == 0) return t + " is not supported by this DPU flow";
  return "float op (" + t + ") runs on the CPU";
}

}  // namespace dputk::compiler
