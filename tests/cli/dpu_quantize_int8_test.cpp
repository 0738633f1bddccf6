// dpu-quantize calib → test on real data: the int8 (DPU integer) accuracy of the CIFAR ResNets stays
// within 0.5 pp of float on the same held-out images; outputs are in the Vitis AI layout; test mode
// without calibration results is a clear error.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_runner.hpp"
#include "dputk/batch.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/lower.hpp"
#include "dputk/quant_info.hpp"
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
