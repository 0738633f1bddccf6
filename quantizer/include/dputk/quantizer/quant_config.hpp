// The quantization config file (Vitis AI Quant_Config JSON, spec §5), validated for the DPU target.
#pragma once
#include <string>
#include <vector>

#include "dputk/quantizer/prepare.hpp"

namespace dputk {

struct QuantConfig {
  bool include_cle = true;
  bool include_bias_corr = true;
  bool convert_relu6_to_relu = false;
  std::string relu6_replace = "auto";       // auto | relu | keep | keep_after_depthwise (auto_choice.hpp)
  bool convert_silu_to_hswish = false;      // x · sigmoid(x) → x · hard-sigmoid(x) (the DPU has no sigmoid)
  std::string activation_method = "diffs";  // diffs | maxmin | percentile
  std::string weight_method = "diffs";      // diffs | maxmin (weights and bias)
  double percentage = 99.99;                // percentile method
  std::string weight_rounding = "auto";     // auto | nearest | hessian (ours; auto_choice.hpp, hessian_rounding.hpp)
  std::string bias_corr_target = "auto";    // auto | layers | residual_adds (ours; auto_choice.hpp, bias_correction.hpp)
  std::string outlier_split = "auto";       // auto | off | on (ours; auto_choice.hpp, outlier_split.hpp)
  std::vector<std::string> custom_ops;      // ours: op types left in float for the CPU (custom ops, run by plugins)
};

// Reads and validates a config file. An unknown key, a malformed value or a value the DPU target
// forbids is a std::runtime_error naming the file, the key and what is allowed.
QuantConfig load_quant_config(const std::string& path);
// The graph preparation a config asks for (CLE, ReLU6 policy, SiLU → hard-swish).
inline PrepareOptions prepare_options_of(const QuantConfig& c) {
  return {c.include_cle, c.convert_relu6_to_relu, c.relu6_replace, c.convert_silu_to_hswish};
}

}  // namespace dputk
