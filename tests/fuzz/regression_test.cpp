// Inputs the fuzzers (scripts/fuzz.sh) found crashing or hanging, kept as regression tests: each now
// ends in a clear error naming the problem.
//  - onnx_node_without_output.onnx: a Relu node with no output made the importer read past the end of
//    the node's output list (UBSan, null RepeatedPtrField).
//  - jpeg_declares_12076x14895.jpg: 264 bytes declaring a 180-Mpixel image; decoding plus preprocessing
//    took >20 s and 2.7 GB (a decompression bomb).
//  - onnx_concat_dim_overflow.onnx: an input declared with a dimension near 2^31; Concat's output
//    dimension overflowed int32 in shape inference (UBSan signed overflow).
//  - onnx_axis_out_of_range.onnx: Concat with axis 65 on a 4-D input read past the NCHW→NHWC axis table
//    (UBSan index out of bounds).
//  - onnx_tensor_dims_overflow.onnx: an initializer whose dims multiply past 2^63 (UBSan signed overflow
//    counting its elements).
//  - onnx_slice_lengths_differ.onnx: Slice with fewer ends than starts read past the ends list.
//  - corrupt_gzip_cifar.bin: gzip magic then garbage; the error message was read from zlib's buffer after
//    gzclose had freed it (ASan heap-use-after-free).
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "dputk/common/atomic_file.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/data/image_header.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "test_data.hpp"

namespace dputk::test {
namespace {

const std::string kDir = std::string(DPU_SOURCE_DIR) + "/tests/fuzz/regressions/";

TEST(FuzzRegressions, OnnxNodeWithoutOutput) {
  const std::string e = error_of([] { import_onnx(kDir + "onnx_node_without_output.onnx"); });
  EXPECT_NE(e.find("has no output"), std::string::npos) << e;
  EXPECT_NE(e.find("onnx_node_without_output.onnx"), std::string::npos) << e;
}

TEST(FuzzRegressions, OnnxShapeArithmeticCannotOverflow) {
  const std::string e = error_of([] { import_onnx(kDir + "onnx_concat_dim_overflow.onnx"); });
  EXPECT_NE(e.find("node 'cat' (Concat): shape inference for op 'cat' (concat): computed dimension 3971931340 is out of range"),
            std::string::npos)
      << e;
}

TEST(FuzzRegressions, OnnxAxisOutOfRange) {
  const std::string e = error_of([] { import_onnx(kDir + "onnx_axis_out_of_range.onnx"); });
  EXPECT_NE(e.find("node 'cat' (Concat): axis 65 is out of range for a 4-D tensor"), std::string::npos) << e;
}

TEST(FuzzRegressions, OnnxTensorDimsCannotOverflow) {
  const std::string e = error_of([] { import_onnx(kDir + "onnx_tensor_dims_overflow.onnx"); });
  EXPECT_NE(e.find("is out of range (negative or over 2^40 elements)"), std::string::npos) << e;
}

TEST(FuzzRegressions, OnnxSliceListsOfDifferentLengths) {
  const std::string e = error_of([] { import_onnx(kDir + "onnx_slice_lengths_differ.onnx"); });
  EXPECT_NE(e.find("node 'sl' (Slice): starts, ends, axes and steps must have the same length"), std::string::npos) << e;
}

TEST(FuzzRegressions, JpegDecompressionBombIsRefusedBeforeDecoding) {
  const std::string jpeg = read_file(kDir + "jpeg_declares_12076x14895.jpg");
  const auto wh = declared_image_size(jpeg);
  ASSERT_TRUE(wh.has_value());
  EXPECT_EQ(wh->first, 12076u);
  EXPECT_EQ(wh->second, 14895u);
  const std::string dir = scratch_dir("fuzz_bomb");
  std::filesystem::copy_file(kDir + "jpeg_declares_12076x14895.jpg", dir + "/bomb.jpg");
  write_file_atomic(dir + "/list.txt", "bomb.jpg 1\n");
  auto ds = open_dataset(dir, dir + "/list.txt");
  const std::string e = error_of([&] { ds->load(0); });
  EXPECT_NE(e.find("bomb.jpg: declares a 12076x14895 image, beyond the 64 Mpixel limit"), std::string::npos) << e;
}

TEST(FuzzRegressions, CorruptGzipDatasetNamesTheFileAndZlibsReason) {
  const std::string e = error_of([] { open_dataset(kDir + "corrupt_gzip_cifar.bin"); });
  EXPECT_NE(e.find("corrupt_gzip_cifar.bin: corrupt gzip data: "), std::string::npos) << e;
  EXPECT_NE(e.find("unknown compression method"), std::string::npos) << e;  // zlib's own reason
}

TEST(FuzzRegressions, RealImagesDeclareTheirTrueSize) {
  // Every JPEG of val_500 passes the header check with the size the decoder finds.
  std::size_t checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(data_path("imagenet/val_500"))) {
    const auto wh = declared_image_size(read_file(e.path().string()));
    ASSERT_TRUE(wh.has_value()) << e.path();
    EXPECT_LE(std::uint64_t{wh->first} * wh->second, kMaxImagePixels);
    if (checked++ < 20) {
      const cv::Mat m = cv::imread(e.path().string(), cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
      EXPECT_EQ(static_cast<std::uint32_t>(m.cols), wh->first) << e.path();
      EXPECT_EQ(static_cast<std::uint32_t>(m.rows), wh->second) << e.path();
    }
  }
  EXPECT_EQ(checked, 500u);
}

}  // namespace
}  // namespace dputk::test
