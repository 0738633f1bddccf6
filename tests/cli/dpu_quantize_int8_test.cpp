// dpu-quantize calib → test on real data: the int8 (DPU integer) accuracy of the CIFAR ResNets stays
// within 0.5 pp of float on the same held-out images, MobileNetV2's within 2 pp; outputs are in the Vitis AI layout; test mode
// without calibration results is a clear error.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/quantizer/quant_info.hpp"
#include "xir/graph/graph.hpp"

using dputk::test::data_path;
using dputk::test::accuracy_of;
using dputk::test::run_cli;

namespace {

// dpu-quantize on val_500 (`common`: the model and data arguments, `extra`: more flags) into dir/sub:
// calib on the first 100 images, then test mode on the other 400 with `test_extra`; both must succeed.
struct CalibThenTest {
  dputk::test::CliResult calib, test;
};
CalibThenTest calib_then_test(const std::string& common, const std::string& extra, const std::string& dir, const std::string& sub,
                              const std::string& test_extra = "") {
  const std::string args = common + extra + " --output_dir " + dir + "/" + sub;
  CalibThenTest r{run_cli("dpu-quantize", args + " --quant_mode calib --subset_len 100"), {}};
  EXPECT_EQ(r.calib.code, 0) << r.calib.out;
  r.test = run_cli("dpu-quantize", args + " --quant_mode test --skip 100" + test_extra);
  EXPECT_EQ(r.test.code, 0) << r.test.out;
  return r;
}

class CifarInt8 : public ::testing::TestWithParam<const char*> {};

TEST_P(CifarInt8, CalibrateOn500TestOnTheRestWithinHalfAPoint) {
  const std::string model = data_path(std::string("cifar10/") + GetParam() + ".onnx");
  const std::string dir = dputk::test::scratch_dir(std::string("int8_") + GetParam());
  const std::string common = "--model " + model + " --data_dir " + data_path("cifar10/test_batch.bin") +
                             " --preprocess cifar --batch_size 50 --output_dir " + dir;
  auto calib = run_cli("dpu-quantize", common + " --quant_mode calib --subset_len 500");
  ASSERT_EQ(calib.code, 0) << calib.out;
  ASSERT_TRUE(std::filesystem::exists(dir + "/quant_info.json"));
  ASSERT_TRUE(std::filesystem::exists(dir + "/" + GetParam() + "_int.xmodel"));
  auto test = run_cli("dpu-quantize", common + " --quant_mode test --skip 500");
  ASSERT_EQ(test.code, 0) << test.out;
  auto fl = run_cli("dpu-quantize", common + " --quant_mode float --skip 500");
  ASSERT_EQ(fl.code, 0) << fl.out;
  const double int8 = accuracy_of(test.out), fp32 = accuracy_of(fl.out);
  RecordProperty("float_top1", std::to_string(fp32));
  RecordProperty("int8_top1", std::to_string(int8));
  EXPECT_NE(test.out.find("Images: 9500"), std::string::npos);
  EXPECT_NE(test.out.find("Per-layer SQNR"), std::string::npos);
  EXPECT_GT(fp32, 80.0);
  EXPECT_LE(std::abs(int8 - fp32), 0.5) << "float " << fp32 << " int8 " << int8;
  // quant_info.json in the Vitis AI layout: every fix op of the xmodel has an entry.
  auto info = dputk::read_quant_info(dir + "/quant_info.json");
  auto g = xir::Graph::deserialize(dir + "/" + GetParam() + "_int.xmodel");
  int fixes = 0;
  for (const xir::Op* op : g->get_ops()) fixes += op->get_type() == "fix";
  EXPECT_EQ(static_cast<int>(info.param.size() + info.output.size()), fixes);
  for (const auto& [name, fp] : info.param) EXPECT_LE(fp, 12) << name;

  // dpu-compile (builtin): one DPU subgraph (the option-A shortcut's slice and channel pad take exact
  // DPU forms), and the compiled model computes what test mode computed.
  auto comp = run_cli("dpu-compile", "-x " + dir + "/" + GetParam() + "_int.xmodel -a " + std::string(DPU_SOURCE_DIR) +
                                         "/board/kv260/arch.json -o " + dir + "/compiled -n " + GetParam() + " --backend builtin");
  ASSERT_EQ(comp.code, 0) << comp.out;
  EXPECT_NE(comp.out.find("Total device subgraph number 3, DPU subgraph number 1"), std::string::npos) << comp.out;
  auto compiled = xir::Graph::deserialize(dir + "/compiled/" + GetParam() + ".xmodel");
  auto lowered = dputk::lower_to_fix_form(*g);
  dputk::engine::DpuExecutor a(*compiled), b(*lowered);
  auto images = dputk::open_dataset(data_path("cifar10/test_batch.bin"));
  std::vector<std::size_t> ids(200);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = 500 + i;
  auto batch = dputk::make_batch(*images, ids, dputk::Preprocess::preset("cifar"));
  const auto in = dputk::engine::quantize_tensor(batch.input, a.input_fix_point(0));
  EXPECT_TRUE(a.run({&in})[0].data == b.run({&in})[0].data) << "compiled and test-mode int8 outputs differ";
}

INSTANTIATE_TEST_SUITE_P(SharedData, CifarInt8, ::testing::Values("resnet20", "resnet32"));

// MobileNets (ImageNet val_500, calibrate on the first 100, test on the other 400), with the defaults:
// the ReLU6 policy is chosen by measurement (relu6_replace auto), the weights' fix points by their
// effect on each layer's output, biases corrected layer after layer. vai_q_pytorch's preparation (every
// ReLU6 → ReLU, asked for with relu6_replace relu) is the comparison: MobileNetV2 71.50%, Google's QAT
// MobileNetV1 0.5/160 44.50% (they were this toolkit's defaults before).
struct MobileNetCase {
  const char* name;
  const char* model;
  const char* sizes;  // --resize / --crop
  double float_top1;  // on the 400 test images
  double max_loss;    // pp, with the defaults
  int depthwise_relu6;  // ReLU6 outputs after depthwise convolutions: at fix point 4 (the DPU clamps at 6.0 there)
};
class MobileNetInt8 : public ::testing::TestWithParam<MobileNetCase> {};

TEST_P(MobileNetInt8, DefaultsKeepAccuracyWhereVaiqsReluReplacementLosesIt) {
  const MobileNetCase& c = GetParam();
  const std::string dir = dputk::test::scratch_dir(std::string("int8_") + c.name);
  const std::string config = dir + "/relu.json";
  dputk::write_file_atomic(config, R"({"target_device": "DPU", "relu6_replace": "relu"})");
  const std::string common = dputk::test::val500_args(c.model, c.sizes);
  std::string calib_out;
  auto int8_with = [&](const std::string& sub, const std::string& extra) {
    const CalibThenTest r = calib_then_test(common, extra, dir, sub);
    if (sub == "defaults") calib_out = r.calib.out;
    EXPECT_NE(r.test.out.find("Images: 400"), std::string::npos) << r.test.out;
    return accuracy_of(r.test.out);
  };
  auto fl = run_cli("dpu-quantize", common + " --quant_mode float --skip 100");
  ASSERT_EQ(fl.code, 0) << fl.out;
  const double fp32 = accuracy_of(fl.out), defaults = int8_with("defaults", ""), vaiq = int8_with("relu", " --config_file " + config);
  RecordProperty("float_top1", std::to_string(fp32));
  RecordProperty("int8_top1_defaults", std::to_string(defaults));
  RecordProperty("int8_top1_relu6_to_relu", std::to_string(vaiq));
  EXPECT_NEAR(fp32, c.float_top1, 0.01);
  EXPECT_GE(defaults, fp32 - c.max_loss) << "float " << fp32 << " int8 " << defaults;
  EXPECT_GT(defaults, vaiq + 5.0) << "ReLU6→ReLU " << vaiq << ", defaults " << defaults;
  // The choice is reported, with the measurements behind it.
  EXPECT_NE(calib_out.find("ReLU6 policy: keep (auto; output SQNR vs float on 32 calibration images: keep "), std::string::npos) << calib_out;
  // Their 1x1 convolutions keep the diffs search on the weights (input-energy weighting measured
  // 0.75 pp worse on both), and the trial that decides it says so.
  EXPECT_NE(calib_out.find("1x1 weight fix points: diffs (auto; output SQNR vs float on 32 calibration images: diffs "), std::string::npos)
      << calib_out;
  auto info = dputk::read_quant_info(dir + "/defaults/quant_info.json");
  int relu6_outputs = 0;
  for (const auto& [name, fp] : info.output)
    if (name.find("depthwise_conv_2d_relu6") != std::string::npos) {
      ++relu6_outputs;
      EXPECT_EQ(fp, 4) << name;
    }
  EXPECT_EQ(relu6_outputs, c.depthwise_relu6);
}

// Measured: MobileNetV2 78.00% (float 77.75%), MobileNetV1 0.5/160 71.25% (73.50%); the bounds leave
// a few images of margin. The issue's target (1 pp) is not met on MobileNetV1 yet.
INSTANTIATE_TEST_SUITE_P(SharedData, MobileNetInt8,
                         ::testing::Values(MobileNetCase{"mobilenet_v2", "imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx", "", 77.75, 1.25, 17},
                                           MobileNetCase{"mobilenet_v1_05", "imagenet/mobilenet_v1_0.5_160_quant_dequant.onnx",
                                                         "--resize 182 --crop 160", 73.50, 3.25, 13}),
                         [](const ::testing::TestParamInfo<MobileNetCase>& i) { return std::string(i.param.name); });

// Outlier channel splitting on Google's QAT MobileNetV1 0.25/128 (calibrate on the first 100 of
// val_500, compare with float on the other 400): its trial keeps the split (op6's weights, set by one
// weight of 4.52, get fix point 5), and the held-out images agree — measured 16.04 dB against 15.15 dB
// with outlier_split off. The split network computes the same function in float: only quantization differs.
TEST(DpuQuantizeTest, OutlierSplittingChosenOnMobileNetV1_025AndBetterOnHeldOutImages) {
  const std::string dir = dputk::test::scratch_dir("int8_outlier_split");
  const std::string config = dir + "/off.json";
  dputk::write_file_atomic(config, R"({"target_device": "DPU", "outlier_split": "off"})");
  const std::string common = dputk::test::val500_args("imagenet/mobilenet_v1_0.25_128_quant_dequant.onnx", "--resize 146 --crop 128");
  std::string calib_out;
  auto held_out_sqnr = [&](const std::string& sub, const std::string& extra) {
    const CalibThenTest r = calib_then_test(common, extra, dir, sub, " --compare_float");
    if (sub == "defaults") calib_out = r.calib.out;
    return dputk::test::logit_sqnr_of(r.test.out);
  };
  const double on = held_out_sqnr("defaults", ""), off = held_out_sqnr("off", " --config_file " + config);
  EXPECT_NE(calib_out.find("Outlier channel splitting: on (auto; output SQNR vs float on 32 calibration images: off "), std::string::npos)
      << calib_out;
  EXPECT_NE(calib_out.find("[VAIQ_NOTE]: outlier channel splitting: "), std::string::npos) << calib_out;
  EXPECT_GT(on, off + 0.5) << "split " << on << " dB, not split " << off << " dB";
}

TEST(DpuQuantizeTest, WithoutCalibrationResultsIsAClearError) {
  const std::string dir = dputk::test::scratch_dir("no_calib");
  auto r = run_cli("dpu-quantize", "--model " + data_path("cifar10/resnet20.onnx") + " --data_dir " +
                                        data_path("cifar10/test_batch.bin") + " --preprocess cifar --quant_mode test --output_dir " + dir);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find(dir + "/resnet20_int.xmodel"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("calibration result file does not exist"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

}  // namespace
