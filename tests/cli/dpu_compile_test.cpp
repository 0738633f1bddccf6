// dpu-compile as users run it: vai_c_xir's flags, its summary line, its output files; bad input is
// one clear line and exit code 1, leaving no output model behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"

using dputk::test::data_path;
using dputk::test::run_cli;

namespace {

const std::string kArch = std::string(DPU_SOURCE_DIR) + "/board/kv260/arch.json";

TEST(DpuCompileCli, CompilesTheQuantizedMnistCnn) {
  const std::string dir = dputk::test::scratch_dir("dpu_compile_cli");
  auto r = run_cli("dpu-compile", "-x " + data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel") + " -a " + kArch + " -o " + dir +
                                      " -n CNN_kv260 --backend builtin");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Total device subgraph number 3, DPU subgraph number 1"), std::string::npos) << r.out;
  for (const char* f : {"CNN_kv260.xmodel", "meta.json", "md5sum.txt", "CNN_kv260_partition.txt", "CNN_kv260_partition.json"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  // Our writer is deterministic: re-serializing the compiled model gives the same bytes.
  auto rt = run_cli("xmodel-tool", "roundtrip " + dir + "/CNN_kv260.xmodel " + dir + "/again.xmodel");
  EXPECT_EQ(rt.code, 0) << rt.out;
  auto diff = run_cli("xmodel-tool", "diff " + dir + "/CNN_kv260.xmodel " + dir + "/again.xmodel");
  EXPECT_EQ(diff.code, 0) << diff.out;
}

TEST(DpuCompileCli, BadInputIsOneClearError) {
  const std::string dir = dputk::test::scratch_dir("dpu_compile_cli_bad");
  const std::string q = data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel");
  auto r = run_cli("dpu-compile", "-x " + dir + "/missing.xmodel -a " + kArch + " -o " + dir + " -n m --backend builtin");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(dir + "/missing.xmodel"), std::string::npos) << r.out;
  r = run_cli("dpu-compile", "-x " + q + " -a " + dir + "/none.json -o " + dir + " -n m --backend builtin");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(dir + "/none.json"), std::string::npos) << r.out;
  r = run_cli("dpu-compile", "-x " + q + " -a " + kArch + " -o " + dir + " -n m --backend magic");
  EXPECT_NE(r.code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir + "/m.xmodel"));
}

}  // namespace
