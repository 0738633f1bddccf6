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

// set-runner: every DPU subgraph's runner map names the given library (how the conformance tests run a
// compiled model's DPU subgraph in Xilinx's cpu_task); nothing else changes; an uncompiled model is refused.
TEST(XmodelTool, SetRunnerRewritesOnlyTheDpuSubgraphsRunner) {
  const std::string compiled = data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel");
  const std::string dir = dputk::test::scratch_dir("xmodel_tool_runner");
  auto before = run_cli("xmodel-tool", "dump " + compiled);
  ASSERT_NE(before.out.find("libvart-dpu-runner.so"), std::string::npos) << before.out;
  auto r = run_cli("xmodel-tool", "set-runner " + compiled + " " + dir + "/cpu.xmodel libvitis_ai_library-cpu_task.so.3");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("1 DPU subgraph(s)"), std::string::npos) << r.out;
  auto after = run_cli("xmodel-tool", "dump " + dir + "/cpu.xmodel");
  EXPECT_EQ(after.out.find("libvart-dpu-runner.so"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("run: \"libvitis_ai_library-cpu_task.so.3\""), std::string::npos) << after.out;
  // only that attribute differs
  auto diff = run_cli("xmodel-tool", "diff " + compiled + " " + dir + "/cpu.xmodel");
  EXPECT_EQ(diff.code, 1);
  EXPECT_NE(diff.out.find("runner"), std::string::npos) << diff.out;
  auto none = run_cli("xmodel-tool", "set-runner " + data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel") + " " + dir + "/x.xmodel lib.so");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.out.find("CNN_int.xmodel: no DPU subgraph"), std::string::npos) << none.out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.xmodel"));
}
