// xmodel-tool on Xilinx-made files: dump names ops and subgraphs, roundtrip writes a file diff finds
// equal (exit 0), diff of different models exits 1, a bad file exits non-zero naming it.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"

using dputk::test::data_path;
using dputk::test::run_cli;

TEST(XmodelTool, DumpRoundtripDiff) {
  const std::string compiled = data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel");
  auto dump = run_cli("xmodel-tool", "dump " + compiled);
  ASSERT_EQ(dump.code, 0) << dump.out;
  EXPECT_NE(dump.out.find("conv2d-fix"), std::string::npos);
  EXPECT_NE(dump.out.find("device=DPU"), std::string::npos);
  EXPECT_NE(dump.out.find("dpu_fingerprint = 72339070457545735"), std::string::npos);
  const std::string out = dputk::test::scratch_dir("xmodel_tool") + "/copy.xmodel";
  ASSERT_EQ(run_cli("xmodel-tool", "roundtrip " + compiled + " " + out).code, 0);
  auto same = run_cli("xmodel-tool", "diff " + compiled + " " + out);
  EXPECT_EQ(same.code, 0) << same.out;
  auto differ = run_cli("xmodel-tool", "diff " + compiled + " " + data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel"));
  EXPECT_EQ(differ.code, 1) << differ.out;
  auto bad = run_cli("xmodel-tool", "dump " + data_path("imagenet/val_500.txt"));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("val_500.txt"), std::string::npos) << bad.out;
}
