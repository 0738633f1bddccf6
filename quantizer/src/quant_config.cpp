#include "dputk/quantizer/quant_config.hpp"

#include <glog/logging.h>
#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>

#include "dputk/common/atomic_file.hpp"

namespace dputk {

namespace {

using json = nlohmann::json;

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

class Checker {
 public:
  explicit Checker(std::string path) : path_(std::move(path)) {}
  [[noreturn]] void fail(const std::string& where, const std::string& why) const {
    throw std::runtime_error(path_ + ": " + where + ": " + why);
  }
  void keys(const json& obj, const std::set<std::string>& allowed, const std::string& where) const {
    if (!obj.is_object()) fail(where, "must be a JSON object");
    for (const auto& [k, v] : obj.items())
      if (!allowed.count(k)) fail(where, "Unsupported keyword in quantization config: '" + k + "'. Allowed: " + join(allowed));
  }
  bool boolean(const json& obj, const std::string& key, bool dflt, const std::string& where) const {
    if (!obj.contains(key)) return dflt;
    if (!obj[key].is_boolean()) fail(where + "." + key, "must be true or false");
    return obj[key].get<bool>();
  }
  std::string choice(const json& obj, const std::string& key, const std::set<std::string>& allowed, const std::string& dflt,
                     const std::string& where) const {
    if (!obj.contains(key)) return dflt;
    if (!obj[key].is_string() || !allowed.count(obj[key].get<std::string>()))
      fail(where + "." + key, "must be one of: " + join(allowed) + " (got " + obj[key].dump() + ")");
    return obj[key].get<std::string>();
  }

 private:
  std::string path_;
};

const std::set<std::string> kTopLevel = {"convert_relu6_to_relu", "relu6_replace", "convert_silu_to_hswish", "include_cle",
                                         "keep_first_last_layer_accuracy", "keep_add_layer_accuracy", "include_bias_corr",
                                         "target_device", "onnx_opset_version", "change_concat_input_fix", "change_pool_input_fix",
                                         "quantizable_data_type", "overall_quantize_config", "tensor_quantize_config",
                                         "layer_quantize_config", "custom_ops", "weight_rounding", "bias_corr_target", "outlier_split"};
const std::set<std::string> kParamKeys = {"datatype", "bit_width", "method", "round_mode", "symmetry", "per_channel", "signed",
                                          "narrow_range", "scale_type", "calib_statistic_method", "percentage"};

// Checks one set of quant parameters against the DPU restrictions; `tensor` is "" for the overall set.
void check_params(const Checker& c, const json& p, const std::string& tensor, const std::string& where, QuantConfig& out) {
  c.keys(p, kParamKeys, where);
  c.choice(p, "datatype", {"int"}, "int", where);
  if (p.contains("bit_width") && (!p["bit_width"].is_number_integer() || p["bit_width"].get<int>() != 8))
    c.fail(where + ".bit_width", "the DPU target (DPUCZDX8G) takes 8 (got " + p["bit_width"].dump() + ")");
  const bool activation = tensor.empty() || tensor == "activation" || tensor == "input";
  const std::string method = c.choice(p, "method", activation ? std::set<std::string>{"diffs", "maxmin", "percentile"}
                                                              : std::set<std::string>{"diffs", "maxmin"}, "diffs", where);
  if (p.contains("round_mode")) {
    const std::string want = tensor == "activation" ? "half_up" : (tensor.empty() ? "" : "std_round");
    const std::string got = c.choice(p, "round_mode", {"half_even", "half_up", "half_down", "std_round"}, "", where);
    if (!want.empty() && got != want) c.fail(where + ".round_mode", "the DPU target requires '" + want + "' for " + tensor);
  }
  if (!c.boolean(p, "symmetry", true, where)) c.fail(where + ".symmetry", "the DPU target requires true");
  if (c.boolean(p, "per_channel", false, where)) c.fail(where + ".per_channel", "the DPU target requires false (per-tensor)");
  if (!c.boolean(p, "signed", true, where)) c.fail(where + ".signed", "the DPU target requires true");
  if (c.boolean(p, "narrow_range", false, where)) c.fail(where + ".narrow_range", "Not support narrow_range in DPU device");
  c.choice(p, "scale_type", {"poweroftwo"}, "poweroftwo", where);
  c.choice(p, "calib_statistic_method", {"modal"}, "modal", where);
  if (p.contains("percentage")) {
    if (!p["percentage"].is_number() || p["percentage"].get<double>() <= 0 || p["percentage"].get<double>() > 100)
      c.fail(where + ".percentage", "must be a number in (0, 100]");
    out.percentage = p["percentage"].get<double>();
  }
  if (tensor.empty() || tensor == "activation") {
    if (p.contains("method")) out.activation_method = method;
  }
  if (tensor.empty() || tensor == "weights" || tensor == "bias") {
    if (p.contains("method")) out.weight_method = method == "percentile" ? out.weight_method : method;
  }
}

}  // namespace

QuantConfig load_quant_config(const std::string& path) {
  json j;
  try {
    j = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  Checker c(path);
  c.keys(j, kTopLevel, "config");
  QuantConfig cfg;
  if (!j.contains("target_device")) c.fail("config", "'target_device' is required (DPU)");
  const std::string device = c.choice(j, "target_device", {"DPU", "CPU", "GPU", "FLEXML"}, "DPU", "config");
  if (device != "DPU") c.fail("config.target_device", "dpu-toolkit quantizes for the DPU only (got " + device + ")");
  cfg.include_cle = c.boolean(j, "include_cle", true, "config");
  cfg.include_bias_corr = c.boolean(j, "include_bias_corr", true, "config");
  cfg.convert_relu6_to_relu = c.boolean(j, "convert_relu6_to_relu", false, "config");
  if (j.contains("relu6_replace") && j["relu6_replace"] == "reluk")
    c.fail("config.relu6_replace", "'reluk' (a channel-wise clamp) has no DPU form; use auto, relu, keep or keep_after_depthwise");
  cfg.relu6_replace = c.choice(j, "relu6_replace", {"auto", "relu", "keep", "keep_after_depthwise"}, "auto", "config");
  cfg.convert_silu_to_hswish = c.boolean(j, "convert_silu_to_hswish", false, "config");
  cfg.weight_rounding = c.choice(j, "weight_rounding", {"auto", "nearest", "hessian"}, "auto", "config");
  cfg.outlier_split = c.choice(j, "outlier_split", {"auto", "off", "on"}, "auto", "config");
  cfg.bias_corr_target = c.choice(j, "bias_corr_target", {"auto", "layers", "residual_adds"}, "auto", "config");
  for (const char* key : {"keep_first_last_layer_accuracy", "keep_add_layer_accuracy"})
    if (c.boolean(j, key, false, "config")) LOG(WARNING) << path << ": " << key << " feature will be supported in next version (ignored)";
  c.boolean(j, "change_concat_input_fix", false, "config");
  c.boolean(j, "change_pool_input_fix", false, "config");
  if (j.contains("quantizable_data_type") && j["quantizable_data_type"] != json::array({"input", "weights", "bias", "activation"}) &&
      !j["quantizable_data_type"].is_array())
    c.fail("config.quantizable_data_type", "must be a list of input, weights, bias, activation");
  if (j.contains("overall_quantize_config")) check_params(c, j["overall_quantize_config"], "", "overall_quantize_config", cfg);
  if (j.contains("tensor_quantize_config")) {
    c.keys(j["tensor_quantize_config"], {"input", "weights", "bias", "activation"}, "tensor_quantize_config");
    for (const auto& [tensor, p] : j["tensor_quantize_config"].items())
      check_params(c, p, tensor, "tensor_quantize_config." + tensor, cfg);
  }
  if (j.contains("custom_ops")) {
    if (!j["custom_ops"].is_array()) c.fail("config.custom_ops", "must be a list of op type names (custom ops left in float for the CPU)");
    for (const auto& t : j["custom_ops"]) {
      if (!t.is_string() || t.get<std::string>().empty()) c.fail("config.custom_ops", "must be a list of op type names (got " + t.dump() + ")");
      cfg.custom_ops.push_back(t.get<std::string>());
    }
  }
  if (j.contains("layer_quantize_config") && !(j["layer_quantize_config"].is_array() && j["layer_quantize_config"].empty()))
    c.fail("layer_quantize_config", "per-layer settings are not supported yet; use overall/tensor_quantize_config");
  return cfg;
}

}  // namespace dputk
