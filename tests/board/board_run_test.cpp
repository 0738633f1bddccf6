// scripts/board_run.sh end to end with ssh/scp stand-ins that treat a local directory as the board:
// it copies the programs, model and images, runs dpu-preflight (stopping on failure unless --force),
// runs the app and fetches the log.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"
#include "dputk/atomic_file.hpp"

namespace dputk::test {
namespace {

CliResult board_run(const std::string& home, const std::string& args) {
  const std::string t = std::string(DPU_SOURCE_DIR) + "/tests/board/";
  return run_command("FAKE_BOARD_HOME=" + home + " SSH=" + t + "fake_ssh.sh SCP=" + t + "fake_scp.sh bash " + DPU_SOURCE_DIR +
                     "/scripts/board_run.sh root@kv260 " + data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel") + " " +
                     data_path("mnist/t10k-images-idx3-ubyte.gz") + " --bin " + DPU_BIN_DIR + " " + args);
}

TEST(BoardRun, StopsWhenPreflightFails) {
  // This machine is no board: no Vitis AI libraries, no DPU.
  const std::string dir = scratch_dir("board_run_pf");
  std::filesystem::create_directories(dir + "/home");
  auto r = board_run(dir + "/home", "--log " + dir + "/run.log");
  EXPECT_EQ(r.code, 3) << r.out;
  const std::string log = read_file(dir + "/run.log");
  EXPECT_NE(log.find("[FAIL] libraries"), std::string::npos) << log;
  EXPECT_NE(log.find("preflight failed"), std::string::npos) << log;
  EXPECT_EQ(log.find("== resnet50"), std::string::npos) << log;
  for (const char* f : {"bin/resnet50", "bin/dpu-preflight", "CNN_kv260.xmodel", "t10k-images-idx3-ubyte.gz"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/home/dpu-toolkit/" + f)) << f;
}

TEST(BoardRun, ForceRunsTheAppAndFetchesItsLog) {
  const std::string dir = scratch_dir("board_run_force");
  std::filesystem::create_directories(dir + "/home");
  auto r = board_run(dir + "/home", "--remote-dir apps/mnist --log " + dir + "/run.log --force -- --preprocess mnist --limit 1000");
  EXPECT_EQ(r.code, 0) << r.out;
  const std::string log = read_file(dir + "/run.log");
  EXPECT_NE(log.find("== resnet50"), std::string::npos) << log;
  EXPECT_NEAR(accuracy_of(log), 99.1, 1e-9) << log;  // the first 1000 MNIST test images
  EXPECT_TRUE(log == read_file(dir + "/home/apps/mnist/run.log"));
}

}  // namespace
}  // namespace dputk::test
