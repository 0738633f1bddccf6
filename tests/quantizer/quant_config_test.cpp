// The Vitis AI Quant_Config file: accepted keys take effect, unknown keys and values the DPU forbids
// are clear errors naming the file and key.
#include <gtest/gtest.h>

#include "dputk/common/atomic_file.hpp"
#include "dputk/quantizer/quant_config.hpp"
#include "test_data.hpp"

namespace {

std::string write(const std::string& name, const std::string& text) {
  const std::string path = dputk::test::scratch_dir("config_" + name) + "/" + name + ".json";
  dputk::write_file_atomic(path, text);
  return path;
}

std::string error_of(const std::string& path) {
  try {
    dputk::load_quant_config(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(QuantConfig, ValidDpuConfigTakesEffect) {
  auto cfg = dputk::load_quant_config(write("ok", R"({
    "convert_relu6_to_relu": true, "include_cle": false, "include_bias_corr": false, "target_device": "DPU",
    "quantizable_data_type": ["input", "weights", "bias", "activation"],
    "overall_quantize_config": {"datatype": "int", "bit_width": 8, "method": "maxmin", "symmetry": true,
                                "per_channel": false, "signed": true, "narrow_range": false, "scale_type": "poweroftwo"},
    "tensor_quantize_config": {"activation": {"method": "percentile", "percentage": 99.9, "round_mode": "half_up",
                                              "calib_statistic_method": "modal"},
                               "weights": {"round_mode": "std_round"}},
    "layer_quantize_config": []})"));
  EXPECT_FALSE(cfg.include_cle);
  EXPECT_FALSE(cfg.include_bias_corr);
  EXPECT_TRUE(cfg.convert_relu6_to_relu);
  EXPECT_EQ(cfg.activation_method, "percentile");
  EXPECT_EQ(cfg.weight_method, "maxmin");
  EXPECT_DOUBLE_EQ(cfg.percentage, 99.9);
  EXPECT_EQ(cfg.relu6_replace, "auto");  // chosen by measurement (convert_relu6_to_relu: true makes it relu)
  EXPECT_EQ(dputk::load_quant_config(write("keep", R"({"target_device": "DPU", "relu6_replace": "keep_after_depthwise"})")).relu6_replace,
            "keep_after_depthwise");
  EXPECT_EQ(cfg.weight_rounding, "auto");  // hessian or nearest, chosen by measurement
  EXPECT_EQ(dputk::load_quant_config(write("rounding", R"({"target_device": "DPU", "weight_rounding": "nearest"})")).weight_rounding,
            "nearest");
  EXPECT_EQ(cfg.bias_corr_target, "auto");  // layers or residual adds, chosen by measurement
  EXPECT_EQ(cfg.outlier_split, "auto");      // off or on, chosen by measurement
  EXPECT_EQ(dputk::load_quant_config(write("split", R"({"target_device": "DPU", "outlier_split": "off"})")).outlier_split, "off");
  EXPECT_EQ(dputk::load_quant_config(write("target", R"({"target_device": "DPU", "bias_corr_target": "residual_adds"})")).bias_corr_target,
            "residual_adds");
}

TEST(QuantConfig, ErrorsNameTheFileKeyAndWhatIsAllowed) {
  auto unknown = write("unknown", R"({"target_device": "DPU", "include_cl": true})");
  EXPECT_NE(error_of(unknown).find(unknown), std::string::npos);
  EXPECT_NE(error_of(unknown).find("Unsupported keyword in quantization config: 'include_cl'"), std::string::npos);
  EXPECT_NE(error_of(unknown).find("include_cle"), std::string::npos);  // lists what is allowed
  EXPECT_NE(error_of(write("channel", R"({"target_device": "DPU", "overall_quantize_config": {"per_channel": true}})"))
                .find("per_channel"), std::string::npos);
  EXPECT_NE(error_of(write("narrow", R"({"target_device": "DPU", "tensor_quantize_config": {"weights": {"narrow_range": true}}})"))
                .find("Not support narrow_range in DPU device"), std::string::npos);
  EXPECT_NE(error_of(write("method", R"({"target_device": "DPU", "overall_quantize_config": {"method": "entropy"}})"))
                .find("diffs, maxmin, percentile"), std::string::npos);
  EXPECT_NE(error_of(write("round", R"({"target_device": "DPU", "tensor_quantize_config": {"activation": {"round_mode": "half_even"}}})"))
                .find("half_up"), std::string::npos);
  EXPECT_NE(error_of(write("bits", R"({"target_device": "DPU", "overall_quantize_config": {"bit_width": 4}})")).find("takes 8"),
            std::string::npos);
  EXPECT_NE(error_of(write("cpu", R"({"target_device": "CPU"})")).find("DPU only"), std::string::npos);
  EXPECT_NE(error_of(write("reluk", R"({"target_device": "DPU", "relu6_replace": "reluk"})")).find("no DPU form"), std::string::npos);
  EXPECT_NE(error_of(write("relu6", R"({"target_device": "DPU", "relu6_replace": "clip"})")).find("keep_after_depthwise, relu"),
            std::string::npos);
  EXPECT_NE(error_of(write("adaround", R"({"target_device": "DPU", "weight_rounding": "adaround"})")).find("auto, hessian, nearest"),
            std::string::npos);
  EXPECT_NE(error_of(write("bctarget", R"({"target_device": "DPU", "bias_corr_target": "outputs"})")).find("auto, layers, residual_adds"),
            std::string::npos);
  EXPECT_NE(error_of(write("nodevice", R"({"include_cle": true})")).find("target_device"), std::string::npos);
  EXPECT_NE(error_of(write("json", R"({"target_device": )")).find("not valid JSON"), std::string::npos);
}

}  // namespace
