// --deploy on real data (CIFAR ResNet20, calibrated on 200 images): the quantized xmodel again, the
// deploy-check dumps of every int8 tensor for one image (equal to what the DPU computes), and the
// TorchScript module — loaded back with libtorch and run on 200 real images, it agrees with our
// fake-quant evaluation and with the DPU integer one.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "dputk/common/atomic_file.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/quantizer/deploy.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "test_data.hpp"
#ifdef DPUTK_TEST_TORCHSCRIPT
#include <torch/script.h>
#endif

using dputk::test::data_path;

namespace {

class DeployResNet20 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto prepared = dputk::load_prepared_model(data_path("cifar10/resnet20.onnx"), {});
    data_ = dputk::open_dataset(data_path("cifar10/test_batch.bin")).release();
    std::vector<std::size_t> calib;
    for (std::size_t i = 0; i < 200; ++i) calib.push_back(i);
    quantized_ = dputk::calibrate_model(*prepared, *data_, calib, dputk::Preprocess::preset("cifar"), 50, {}).graph.release();
    dir_ = new std::string(dputk::test::scratch_dir("deploy"));
    image_ = new dputk::Batch(dputk::make_batch(*data_, {500}, dputk::Preprocess::preset("cifar")));
    result_ = new dputk::DeployResult(dputk::export_deploy(*quantized_, image_->input, *dir_));
  }
  static void TearDownTestSuite() {
    delete result_;
    delete image_;
    delete dir_;
    delete quantized_;
    delete data_;
  }
  static dputk::Dataset* data_;
  static xir::Graph* quantized_;
  static std::string* dir_;
  static dputk::Batch* image_;
  static dputk::DeployResult* result_;
};
dputk::Dataset* DeployResNet20::data_ = nullptr;
xir::Graph* DeployResNet20::quantized_ = nullptr;
std::string* DeployResNet20::dir_ = nullptr;
dputk::Batch* DeployResNet20::image_ = nullptr;
dputk::DeployResult* DeployResNet20::result_ = nullptr;

TEST_F(DeployResNet20, XmodelAndDeployCheckDumps) {
  EXPECT_EQ(result_->xmodel, *dir_ + "/resnet20_int.xmodel");
  auto back = xir::Graph::deserialize(result_->xmodel);
  EXPECT_EQ(back->get_op_num(), quantized_->get_op_num());
  EXPECT_EQ(result_->dump_dir, *dir_ + "/deploy_check_data_int/resnet20");
  EXPECT_FALSE(std::filesystem::exists(result_->dump_dir + ".tmp"));
  // shape.txt lists every dumped tensor; each has its int8 and float32 file of the right size.
  std::ifstream shapes(result_->dump_dir + "/shape.txt");
  std::size_t lines = 0;
  for (std::string line; std::getline(shapes, line); ++lines) {
    const auto colon = line.find("]: ");
    ASSERT_NE(colon, std::string::npos) << line;
    std::int64_t n = 1;
    std::stringstream dims(line.substr(1, colon - 1));
    for (std::string d; std::getline(dims, d, ',');) n *= std::stoll(d);
    const std::string stem = result_->dump_dir + "/" + dputk::dump_name(line.substr(colon + 3));
    EXPECT_EQ(std::filesystem::file_size(stem + "_fix.bin"), static_cast<std::uintmax_t>(n)) << line;
    EXPECT_EQ(std::filesystem::file_size(stem + ".bin"), static_cast<std::uintmax_t>(4 * n)) << line;
  }
  EXPECT_EQ(lines, result_->dumped_tensors);
  EXPECT_GT(lines, 70u);  // 41 parameters + the activations
  // The dumps are what the DPU computes for that image: e.g. the input and the logits.
  auto lowered = dputk::lower_to_fix_form(*quantized_);
  dputk::engine::DpuExecutor exec(*lowered);
  const auto in = dputk::engine::quantize_tensor(image_->input, exec.input_fix_point(0));
  const auto out = exec.run({&in});
  const std::string input_dump = dputk::read_file(result_->dump_dir + "/" + dputk::dump_name(exec.input_ops()[0]->get_output_tensor()->get_name()) + "_fix.bin");
  EXPECT_EQ(input_dump, std::string(reinterpret_cast<const char*>(in.data.data()), in.data.size()));
  const xir::Op* logits = exec.output_ops()[0]->get_input_op("input");  // the int8 tensor fix2float reads
  const std::string logits_dump = dputk::read_file(result_->dump_dir + "/" + dputk::dump_name(logits->get_output_tensor()->get_name()) + "_fix.bin");
  EXPECT_EQ(logits_dump, std::string(reinterpret_cast<const char*>(out[0].data.data()), out[0].data.size()));
}

#ifdef DPUTK_TEST_TORCHSCRIPT
TEST_F(DeployResNet20, TorchScriptModuleMatchesOurQuantizedEvaluation) {
  ASSERT_EQ(result_->torchscript, *dir_ + "/resnet20_int.pt");
  torch::jit::Module m = torch::jit::load(result_->torchscript);
  std::vector<std::size_t> ids;
  for (std::size_t i = 1000; i < 1200; ++i) ids.push_back(i);
  auto b = dputk::make_batch(*data_, ids, dputk::Preprocess::preset("cifar"));
  const int n = static_cast<int>(ids.size());
  // NHWC → NCHW, as the PyTorch model takes it
  at::Tensor x = torch::from_blob(b.input.data.data(), {n, 32, 32, 3}, torch::kFloat32).permute({0, 3, 1, 2}).contiguous();
  at::Tensor y = m.forward({x}).toTensor().contiguous();
  ASSERT_EQ(y.size(0), n);
  ASSERT_EQ(y.size(1), 10);
  dputk::engine::FloatExecutor fake(*quantized_);
  auto f = fake.run({&b.input})[0];
  auto lowered = dputk::lower_to_fix_form(*quantized_);
  dputk::engine::DpuExecutor dpu(*lowered);
  const auto qin = dputk::engine::quantize_tensor(b.input, dpu.input_fix_point(0));
  const auto q = dpu.run({&qin})[0];
  std::vector<float> qf(q.data.size());
  dputk::engine::dequantize(q, qf.data());
  const float* yt = y.data_ptr<float>();
  int agree_fake = 0, agree_dpu = 0, exact = 0;
  float max_diff = 0.0f;
  for (int i = 0; i < n; ++i) {
    auto arg = [](const float* p) { return std::max_element(p, p + 10) - p; };
    agree_fake += arg(yt + i * 10) == arg(f.data.data() + i * 10);
    agree_dpu += arg(yt + i * 10) == arg(qf.data() + i * 10);
    bool same = true;
    for (int c = 0; c < 10; ++c) {
      max_diff = std::max(max_diff, std::fabs(yt[i * 10 + c] - f.data[i * 10 + c]));
      same = same && yt[i * 10 + c] == qf[i * 10 + c];
    }
    exact += same;
  }
  RecordProperty("max_abs_diff_vs_fake_quant", std::to_string(max_diff));
  RecordProperty("top1_agreement_vs_dpu", std::to_string(agree_dpu));
  RecordProperty("identical_to_dpu", std::to_string(exact));
  std::printf("TorchScript vs fake-quant: max |diff| %g, top-1 agreement %d/%d; vs DPU integers: top-1 %d/%d, identical logits %d/%d\n",
              max_diff, agree_fake, n, agree_dpu, n, exact, n);
  EXPECT_EQ(agree_fake, n);
  EXPECT_LE(max_diff, 1e-4f);
  EXPECT_GE(agree_dpu, n * 99 / 100);
  EXPECT_GE(exact, n * 95 / 100);
}

// PyTorch itself loads it (torch.jit.load) and runs it on a batch of another size.
TEST_F(DeployResNet20, PyTorchLoadsTheModule) {
  const std::string cmd = "/usr/bin/python3 -c \"import torch; m = torch.jit.load('" + result_->torchscript +
                          "'); print(tuple(m(torch.zeros(3, 3, 32, 32)).shape))\" 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  if (out.find("No module named 'torch'") != std::string::npos) GTEST_SKIP() << "python3-torch is not installed";
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("(3, 10)"), std::string::npos) << out;
}
#endif

}  // namespace
