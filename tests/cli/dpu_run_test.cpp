// dpu-run's file interface on Xilinx's compiled CNN_kv260.xmodel and on our builtin compile of
// CNN_int.xmodel: raw int8 in, float32 logits out equal to the independent reference; --dump writes
// every tensor; --bench prints the throughput line; bad input files are clear errors.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <regex>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/engine/dpu_executor.hpp"

using dputk::test::data_path;
using dputk::test::run_cli;

namespace {

constexpr int kImages = 200;

std::string mnist_input(const std::string& dir) {
  auto data = dputk::open_dataset(data_path("mnist/t10k-images-idx3-ubyte.gz"));
  std::vector<std::size_t> ids(kImages);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  auto b = dputk::make_batch(*data, ids, dputk::Preprocess::preset("mnist"));
  auto q = dputk::engine::quantize_tensor(b.input, 6);
  std::filesystem::create_directories(dir + "/in");
  dputk::write_file_atomic(dir + "/in/CNN__input_0_fix.bin", std::string(reinterpret_cast<const char*>(q.data.data()), q.data.size()));
  return dir + "/in";
}

void expect_reference_logits(const std::string& file) {
  const std::string got = dputk::read_file(file);
  ASSERT_EQ(got.size(), kImages * 10 * sizeof(float));
  const std::string ref = dputk::read_file(data_path("xmodels/kv260_mnist_cnn/reference_logits_int8_10000x10.bin"));
  std::vector<float> logits(kImages * 10);
  std::memcpy(logits.data(), got.data(), got.size());
  int identical = 0;
  for (int i = 0; i < kImages * 10; ++i) identical += logits[i] == static_cast<std::int8_t>(ref[i]) / 16.0f;
  EXPECT_EQ(identical, kImages * 10);
}

TEST(DpuRunCli, XilinxCompiledModelFileInFileOut) {
  const std::string dir = dputk::test::scratch_dir("dpu_run_real");
  const std::string in = mnist_input(dir);
  auto r = run_cli("dpu-run", data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel") + " " + in + " " + dir + "/out --dump");
  ASSERT_EQ(r.code, 0) << r.out;
  expect_reference_logits(dir + "/out/CNN__CNN_Sequential_network__Flatten_11__ret_fix_.bin");
  // --dump: every tensor, e.g. the first conv's int8 output (13×13×16 per image)
  EXPECT_EQ(std::filesystem::file_size(dir + "/out/CNN__CNN_Sequential_network__ReLU_2__573_fix.bin"), kImages * 13u * 13 * 16);
}

TEST(DpuRunCli, OurBuiltinCompileFileInFileOut) {
  const std::string dir = dputk::test::scratch_dir("dpu_run_builtin");
  auto c = run_cli("dpu-compile", "-x " + data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel") + " -a " + std::string(DPU_SOURCE_DIR) +
                                      "/board/kv260/arch.json -o " + dir + "/compiled -n CNN_kv260 --backend builtin");
  ASSERT_EQ(c.code, 0) << c.out;
  auto r = run_cli("dpu-run", dir + "/compiled/CNN_kv260.xmodel " + mnist_input(dir) + " " + dir + "/out --threads 1");
  ASSERT_EQ(r.code, 0) << r.out;
  expect_reference_logits(dir + "/out/CNN__CNN_Sequential_network__Flatten_11__ret_fix_.bin");
}

TEST(DpuRunCli, BenchPrintsThroughput) {
  auto r = run_cli("dpu-run", data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel") + " --bench 0.5 --threads 2 --batch 4");
  ASSERT_EQ(r.code, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\nthroughput: ([0-9.]+) images/s\n"))) << r.out;
  EXPECT_GT(std::stod(m[1]), 0.0);
}

TEST(DpuRunCli, BadInputsAreClearErrors) {
  const std::string dir = dputk::test::scratch_dir("dpu_run_bad");
  const std::string xm = data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel");
  std::filesystem::create_directories(dir + "/in");
  auto r = run_cli("dpu-run", xm + " " + dir + "/in " + dir + "/out");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(dir + "/in/CNN__input_0_fix.bin"), std::string::npos) << r.out;
  dputk::write_file_atomic(dir + "/in/CNN__input_0_fix.bin", std::string(785, '\0'));
  r = run_cli("dpu-run", xm + " " + dir + "/in " + dir + "/out");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("785 bytes is not a whole number of XINT8 samples"), std::string::npos) << r.out;
  r = run_cli("dpu-run", data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel") + " " + dir + "/in " + dir + "/out");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("not partitioned"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/out"));
}

}  // namespace
