// dpu-quantize --quant_mode float reproduces the float accuracies measured independently (README of
// ../shared/data), and its errors are clear.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"

using dputk::test::bin_path;
using dputk::test::data_path;
using dputk::test::run_cli;

namespace {

dputk::test::CliResult run(const std::string& args) { return dputk::test::run_cli("dpu-quantize", args); }

TEST(DpuQuantizeFloat, CifarResNet20MatchesThePublishedFloatAccuracy) {
  auto r = run("--model " + data_path("cifar10/resnet20.onnx") + " --data_dir " + data_path("cifar10/test_batch.bin") +
              " --preprocess cifar --quant_mode float --batch_size 50");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Accuracy: 81.0300%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Images: 10000"), std::string::npos) << r.out;
}

TEST(DpuQuantizeFloat, MobileNetV2OnVal500MatchesThePublishedFloatAccuracy) {
  auto r = run(dputk::test::val500_args("imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx", "--quant_mode float"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Accuracy: 78.0000%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Top-5: 91.6000%"), std::string::npos) << r.out;
}

TEST(DpuQuantizeFloat, ClearErrors) {
  auto missing = run("--model /nonexistent/m.onnx --data_dir " + data_path("cifar10/test_batch.bin") + " --quant_mode float");
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.out.find("/nonexistent/m.onnx: file not found"), std::string::npos) << missing.out;
  auto too_many = run("--model " + data_path("cifar10/resnet20.onnx") + " --data_dir " + data_path("cifar10/test_batch.bin") +
                     " --preprocess cifar --quant_mode float --subset_len 20000");
  EXPECT_NE(too_many.code, 0);
  EXPECT_NE(too_many.out.find("holds only 10000"), std::string::npos) << too_many.out;
  auto wrong_size = run("--model " + data_path("cifar10/resnet20.onnx") + " --data_dir " + data_path("cifar10/test_batch.bin") +
                       " --preprocess torchvision --quant_mode float --subset_len 8");
  EXPECT_NE(wrong_size.code, 0);
  EXPECT_NE(wrong_size.out.find("32x32x3"), std::string::npos) << wrong_size.out;
  auto not_onnx = run("--model " + data_path("imagenet/val_500.txt") + " --data_dir " + data_path("cifar10/test_batch.bin") +
                     " --quant_mode float");
  EXPECT_NE(not_onnx.code, 0);
  EXPECT_NE(not_onnx.out.find("val_500.txt"), std::string::npos) << not_onnx.out;
}

// A truncated image in --val_list: an error naming the file, or with --skip_bad_images left out and
// counted — never decoded into grey and counted in the accuracy.
TEST(DpuQuantizeFloat, TruncatedImageIsAnErrorOrSkippedAndCounted) {
  const std::string dir = dputk::test::scratch_dir("quantize_truncated");
  const std::string src = data_path("imagenet/val_500/ILSVRC2012_val_00000347.JPEG");
  dputk::write_file_atomic(dir + "/cut.JPEG", dputk::read_file(src).substr(0, 3000));
  std::filesystem::copy_file(src, dir + "/whole image.JPEG", std::filesystem::copy_options::overwrite_existing);
  dputk::write_file_atomic(dir + "/list.txt", "whole image.JPEG 472\ncut.JPEG 472\n");
  const std::string common = "--model " + data_path("imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx") + " --data_dir " + dir +
                             " --val_list " + dir + "/list.txt --preprocess inception --quant_mode float";
  auto bad = run_cli("dpu-quantize", common);
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("[VAIQ_ERROR]"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find(dir + "/cut.JPEG: truncated JPEG"), std::string::npos) << bad.out;
  auto skip = run_cli("dpu-quantize", common + " --skip_bad_images");
  EXPECT_EQ(skip.code, 0) << skip.out;
  EXPECT_NE(skip.out.find("Skipped images: 1 (unreadable; --skip_bad_images)"), std::string::npos) << skip.out;
  EXPECT_NE(skip.out.find("Images: 1\n"), std::string::npos) << skip.out;
  EXPECT_NE(skip.out.find("[VAIQ_WARN]: skipped: " + dir + "/cut.JPEG"), std::string::npos) << skip.out;
}

}  // namespace
