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

// MobileNetV2 (ImageNet val_500, calibrate on the first 100, test on the other 400). vai_q_pytorch's
// preparation turns every ReLU6 into ReLU (CLE is on), which this clip-trained network does not survive;
// relu6_replace keep_after_depthwise keeps the ReLU6 that follow depthwise convolutions and brings int8
// within 2 pp of float. Those ReLU6 outputs sit at fix point 4, where the DPU's clamp is 6.0.
TEST(MobileNetV2Int8, KeepingTheDepthwiseReLU6ComesWithinTwoPointsOfFloat) {
  const std::string dir = dputk::test::scratch_dir("int8_mobilenet_v2");
  const std::string config = dir + "/keep_relu6.json";
  dputk::write_file_atomic(config, R"({"target_device": "DPU", "relu6_replace": "keep_after_depthwise"})");
  const std::string common = "--model " + data_path("imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx") + " --data_dir " +
                             data_path("imagenet/val_500") + " --val_list " + data_path("imagenet/val_500.txt") + " --preprocess inception";
  auto int8_with = [&](const std::string& sub, const std::string& extra) {
    auto calib = run_cli("dpu-quantize", common + extra + " --output_dir " + dir + "/" + sub + " --quant_mode calib --subset_len 100");
    EXPECT_EQ(calib.code, 0) << calib.out;
    auto test = run_cli("dpu-quantize", common + extra + " --output_dir " + dir + "/" + sub + " --quant_mode test --skip 100");
    EXPECT_EQ(test.code, 0) << test.out;
    EXPECT_NE(test.out.find("Images: 400"), std::string::npos) << test.out;
    return accuracy_of(test.out);
  };
  auto fl = run_cli("dpu-quantize", common + " --quant_mode float --skip 100");
  ASSERT_EQ(fl.code, 0) << fl.out;
  const double fp32 = accuracy_of(fl.out), vaiq = int8_with("vaiq", ""), keep = int8_with("keep", " --config_file " + config);
  RecordProperty("float_top1", std::to_string(fp32));
  RecordProperty("int8_top1_relu6_to_relu", std::to_string(vaiq));
  RecordProperty("int8_top1_keep_after_depthwise", std::to_string(keep));
  EXPECT_NEAR(fp32, 77.75, 0.01);
  EXPECT_GE(keep, fp32 - 2.0) << "float " << fp32 << " int8 " << keep;
  EXPECT_GT(keep, vaiq + 3.0) << "ReLU6→ReLU " << vaiq << ", keep_after_depthwise " << keep;
  auto info = dputk::read_quant_info(dir + "/keep/quant_info.json");
  int relu6_outputs = 0;
  for (const auto& [name, fp] : info.output)
    if (name.find("depthwise_conv_2d_relu6") != std::string::npos) {
      ++relu6_outputs;
      EXPECT_EQ(fp, 4) << name;
    }
  EXPECT_EQ(relu6_outputs, 17);
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
