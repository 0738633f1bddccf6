// The VART application end to end on real images: MobileNetV2 (ImageNet val_500) quantized by
// dpu-quantize, compiled by dpu-compile (builtin), classified by the resnet50 app through the
// VART API on the emulated DPU — with the same top-1/top-5 as the quantizer's test mode on the
// same images and preprocessing, with 1 and 2 runner threads.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"

using dputk::test::data_path;
using dputk::test::run_cli;

namespace {

std::string figure(const std::string& out, const std::string& label) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(label + ": ([0-9.]+)%"))) return "none";
  return m[1];
}

TEST(Resnet50App, SameAccuracyAsQuantizerTestModeOnMobileNetV2) {
  const std::string dir = dputk::test::scratch_dir("resnet50_app");
  // Defaults: the ReLU6 policy is measured (it keeps them), so the compiled DPU convolutions carry RELU6 too.
  const std::string common = dputk::test::val500_args("imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx", "--output_dir " + dir);
  auto calib = run_cli("dpu-quantize", common + " --quant_mode calib --subset_len 100");
  ASSERT_EQ(calib.code, 0) << calib.out;
  auto test = run_cli("dpu-quantize", common + " --quant_mode test");
  ASSERT_EQ(test.code, 0) << test.out;
  auto comp = run_cli("dpu-compile", "-x " + dir + "/tflite_dequantized_int.xmodel -a " + std::string(DPU_SOURCE_DIR) +
                                         "/board/kv260/arch.json -o " + dir + "/compiled -n mobilenet_v2 --backend builtin");
  ASSERT_EQ(comp.code, 0) << comp.out;
  const std::string app_args = dir + "/compiled/mobilenet_v2.xmodel " + data_path("imagenet/val_500.txt") + " --labels " +
                               data_path("imagenet/synset_words.txt") + " --preprocess inception";
  auto app = run_cli("resnet50", app_args);
  ASSERT_EQ(app.code, 0) << app.out;
  RecordProperty("top1", figure(app.out, "Accuracy"));
  EXPECT_NE(app.out.find("Images: 500"), std::string::npos) << app.out;
  EXPECT_EQ(figure(app.out, "Accuracy"), figure(test.out, "Accuracy")) << app.out << test.out;
  EXPECT_EQ(figure(app.out, "Top-5"), figure(test.out, "Top-5")) << app.out << test.out;
  EXPECT_GT(std::stod(figure(app.out, "Accuracy")), 76.0);
  EXPECT_NE(app.out.find("images/s"), std::string::npos);
  auto two = run_cli("resnet50", app_args + " --threads 2 --verbose --limit 500");
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_EQ(figure(two.out, "Accuracy"), figure(test.out, "Accuracy"));
  EXPECT_TRUE(std::regex_search(two.out, std::regex("top\\[0\\] prob = 0\\.[0-9]{6}  name = n[0-9]{8} ")));
}

// A truncated JPEG stops the application with an error naming the file (it used to be decoded into
// grey and counted; thrown inside a worker thread it must not abort the process), or, with
// --skip-bad-images, is left out and counted.
TEST(Resnet50App, ATruncatedImageIsAnErrorNamingItOrSkippedWhenAsked) {
  const std::string dir = dputk::test::scratch_dir("resnet50_app_truncated");
  const std::string bytes = dputk::read_file(data_path("imagenet/val_500/ILSVRC2012_val_00000347.JPEG"));
  std::filesystem::create_directories(dir + "/imgs");
  dputk::write_file_atomic(dir + "/imgs/cut.JPEG", bytes.substr(0, 3000));
  dputk::write_file_atomic(dir + "/imgs.txt", "cut.JPEG 0\n");
  const std::string model = data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel");
  auto r = run_cli("resnet50", model + " " + dir + "/imgs.txt --preprocess mnist --threads 2");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find(dir + "/imgs/cut.JPEG: truncated JPEG"), std::string::npos) << r.out;
  auto s = run_cli("resnet50", model + " " + dir + "/imgs.txt --preprocess mnist --skip-bad-images");
  EXPECT_EQ(s.code, 1) << s.out;
  EXPECT_NE(s.out.find("no readable image"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("no readable image (" + dir + "/imgs/cut.JPEG: truncated JPEG"), std::string::npos) << s.out;
}

TEST(Resnet50App, AnUncompiledModelIsAClearError) {
  auto r = run_cli("resnet50", data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel") + " " + data_path("imagenet/val_500.txt"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("expected exactly 1 DPU subgraph, found 0"), std::string::npos) << r.out;
}

}  // namespace
