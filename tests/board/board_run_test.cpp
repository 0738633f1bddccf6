// scripts/board_run.sh end to end with ssh/scp stand-ins that treat a local directory as the board:
// it copies the programs, model and images, runs dpu-preflight (stopping on failure unless --force),
// runs the app and fetches the log.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"

namespace dputk::test {
namespace {

struct BoardRunResult {
  CliResult run;
  std::string log;  // the fetched log
};
// board_run.sh against a fresh "board" whose login home is DIR/home; the log is fetched to DIR/run.log.
BoardRunResult board_run(const std::string& dir, const std::string& args) {
  std::filesystem::create_directories(dir + "/home");
  const std::string t = std::string(DPU_SOURCE_DIR) + "/tests/board/";
  BoardRunResult r;
  r.run = run_command("FAKE_BOARD_HOME=" + dir + "/home SSH=" + t + "fake_ssh.sh SCP=" + t + "fake_scp.sh bash " + DPU_SOURCE_DIR +
                      "/scripts/board_run.sh root@kv260 " + data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel") + " " +
                      data_path("mnist/t10k-images-idx3-ubyte.gz") + " --bin " + DPU_BIN_DIR + " --log " + dir + "/run.log " + args);
  if (std::filesystem::exists(dir + "/run.log")) r.log = read_file(dir + "/run.log");
  return r;
}

TEST(BoardRun, StopsWhenPreflightFails) {
  // This machine is no board: no Vitis AI libraries, no DPU.
  const std::string dir = scratch_dir("board_run_pf");
  auto r = board_run(dir, "");
  EXPECT_EQ(r.run.code, 3) << r.run.out;
  EXPECT_NE(r.log.find("[FAIL] libraries"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("preflight failed"), std::string::npos) << r.log;
  EXPECT_EQ(r.log.find("== resnet50"), std::string::npos) << r.log;
  for (const char* f : {"bin/resnet50", "bin/dpu-preflight", "CNN_kv260.xmodel", "t10k-images-idx3-ubyte.gz"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/home/dpu-toolkit/" + f)) << f;
}

TEST(BoardRun, ForceRunsTheAppAndFetchesItsLog) {
  const std::string dir = scratch_dir("board_run_force");
  auto r = board_run(dir, "--remote-dir apps/mnist --force -- --preprocess mnist --limit 1000");
  EXPECT_EQ(r.run.code, 0) << r.run.out;
  EXPECT_NE(r.log.find("== resnet50"), std::string::npos) << r.log;
  EXPECT_NEAR(accuracy_of(r.log), 99.1, 1e-9) << r.log;  // the first 1000 MNIST test images
  EXPECT_TRUE(r.log == read_file(dir + "/home/apps/mnist/run.log"));
}

}  // namespace
}  // namespace dputk::test
