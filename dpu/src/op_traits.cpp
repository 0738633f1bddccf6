#include "dputk/dpu/op_traits.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "dputk/dpu/op_error.hpp"

namespace dputk::dpu {

namespace {

using R = QuantRole;

// Float-form (quantizer) op types, then fix-form (compiled) op types.
std::map<std::string, OpTraits>& table() {
  static std::map<std::string, OpTraits> t = {
      {"data", {R::INPUT}},
      {"const", {R::CONSTANT}},
      {"flatten", {R::LAYOUT}},
      {"reshape", {R::LAYOUT}},
      {"identity", {R::LAYOUT, "", true}},
      {"squeeze", {R::LAYOUT}},
      {"relu", {R::ACTIVATION, "RELU"}},
      {"relu6", {R::ACTIVATION, "RELU6"}},
      {"clamp", {R::ACTIVATION, ""}},  // RELU6 when it clamps to [0, 6] (dpu_nonlinear_of)
      {"leaky-relu", {R::ACTIVATION, "LEAKYRELU"}},
      {"conv2d", {R::GROUP_HEAD, "", false, false, "", -128, true}},
      {"depthwise-conv2d", {R::GROUP_HEAD, "", false, false, "", -128, true}},
      {"transposed-conv2d", {R::GROUP_HEAD, "", false, false, "", -128, true}},
      {"matmul", {R::GROUP_HEAD, "", false, false, "", -128, true}},
      {"add", {R::GROUP_HEAD}},
      {"sub", {R::GROUP_HEAD}},
      {"mul", {R::GROUP_HEAD}},
      {"maxpool2d", {R::GROUP_HEAD}},
      {"concat", {R::GROUP_HEAD}},
      {"avgpool2d", {R::AVG_POOL}},
      {"pad", {R::SAME_GRID}},
      {"strided_slice", {R::SAME_GRID}},
      {"resize", {R::SAME_GRID}},
      {"hard-sigmoid", {R::GROUP_HEAD, "", false, false, "hard-sigmoid-fix"}},  // the DPU's 2731/2^14 for 1/6  // nearest copies, bilinear interpolates: the input's range, its grid
      {"softmax", {R::CPU_FLOAT}},
      // fix form: ops that move int8 values without arithmetic keep them non-negative
      {"pool-fix", {R::NONE, "", true}},
      {"concat-fix", {R::NONE, "", true}},
      {"reshape-fix", {R::NONE, "", true}},
      {"upload", {R::NONE, "", true}},
      {"download", {R::NONE, "", true}},
      {"strided_slice-fix", {R::NONE, "", true}},
      {"upsample-fix", {R::NONE, "", true}},
      // relu6(x + 3) · 2731 / 2^14 with no clamp at 6: saturation does it at fix point 7 or finer (spec §3.8)
      {"hard-sigmoid-fix", {R::GROUP_HEAD, "", false, false, "", kHsigmoidMinFixPoint}},
  };
  return t;
}

std::mutex& table_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

const OpTraits& op_traits(const std::string& type) {
  static const OpTraits none;
  std::lock_guard<std::mutex> lock(table_mutex());
  auto it = table().find(type);
  return it == table().end() ? none : it->second;
}

void declare_cpu_float_op(const std::string& type) {
  std::lock_guard<std::mutex> lock(table_mutex());
  auto& t = table()[type];
  if (t.quant == R::NONE) {
    t.quant = R::CPU_FLOAT;
    t.custom = true;
  }
}

bool is_relu6(const xir::Op& op) {
  return op.get_type() == "relu6" ||
         (op.get_type() == "clamp" && op.get_attr<float>("min") == 0.0f && op.get_attr<float>("max") == 6.0f);
}

bool interpolates(const xir::Op& op) {
  return (op.get_type() == "resize" || op.get_type() == "upsample-fix") && op.get_attr_or<std::string>("mode", "NEAREST") != "NEAREST";
}

bool runs_in_float(const xir::Op& op) { return is_cpu_float_op(op.get_type()) || (interpolates(op) && op.get_fanout_num() == 0); }

std::string dpu_nonlinear_of(const xir::Op* act) {
  if (!act) return "NONE";
  if (is_relu6(*act)) return "RELU6";
  return op_traits(act->get_type()).nonlinear;
}

Nonlinear parse_nonlinear(const xir::Op& op) {
  const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
  if (nl.empty() || nl == "NONE") return Nonlinear::NONE;
  if (nl == "RELU") return Nonlinear::RELU;
  if (nl == "RELU6") return Nonlinear::RELU6;
  if (nl == "LEAKYRELU") return Nonlinear::LEAKYRELU;
  if (nl == "HSIGMOID") return Nonlinear::HSIGMOID;
  op_fail(op, "nonlinear '" + nl + "' is not supported (NONE, RELU, RELU6, LEAKYRELU, HSIGMOID)");
}

std::string avg_pool_dpu_problem(const xir::Op& op) {
  if (op.get_attr_or<bool>("global", false) || op.get_attr_or<bool>("count_include_pad", true)) return "";
  const auto pad = op.get_attr_or<std::vector<std::int32_t>>("pad", {0, 0, 0, 0});
  const bool padded = std::any_of(pad.begin(), pad.end(), [](int p) { return p != 0; }) ||
                      op.get_attr_or<std::string>("pad_mode", "FLOOR") == "CEIL";
  return padded ? "an average that leaves its padding out (count_include_pad = 0): the DPU counts it" : "";
}

std::string eltwise_fix_shape_problem(const xir::Op& op) {
  const bool mul = op.get_attr_or<std::string>("type", "ADD") == "MUL";
  const auto& out = op.get_output_tensor()->get_shape();
  for (const xir::Tensor* t : op.get_input_tensors()) {
    const auto& s = t->get_shape();
    const bool channel_scale = mul && s.size() == 4 && out.size() == 4 && s[0] == out[0] && s[1] == 1 && s[2] == 1 && s[3] == out[3];
    if (s != out && !channel_scale) return "eltwise inputs of different shapes (only MUL broadcasts a [N,1,1,C] map over H, W)";
  }
  return "";
}

bool fix_output_non_negative(const xir::Op& op, const std::function<bool(const xir::Op*)>& input_non_negative) {
  const std::string& t = op.get_type();
  auto all_inputs = [&] {
    for (const xir::Op* in : op.get_input_ops("input"))
      if (!input_non_negative(in)) return false;
    return op.get_input_num("input") > 0;
  };
  const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
  if (t == "conv2d-fix" || t == "depthwise-conv2d-fix") return nl == "RELU" || nl == "RELU6";
  if (t == "eltwise-fix") return nl == "RELU" || (op.get_attr_or<std::string>("type", "ADD") == "ADD" && all_inputs());
  return op_traits(t).keeps_non_negative && all_inputs();
}

}  // namespace dputk::dpu
