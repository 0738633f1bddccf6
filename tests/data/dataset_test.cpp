// Dataset readers on the real shared data, preprocessing geometry, and the errors for bad inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dputk/common/atomic_file.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/data/image_header.hpp"
#include "dputk/data/preprocess.hpp"
#include "test_data.hpp"

using dputk::test::data_path;
namespace fs = std::filesystem;

namespace {

using dputk::test::error_of;


TEST(Datasets, Cifar10BinaryBatch) {
  auto d = dputk::open_dataset(data_path("cifar10/test_batch.bin"));
  ASSERT_EQ(d->size(), 10000u);
  // Labels agree with the provenance index shipped beside the file (record_index label ...).
  std::ifstream index(data_path("cifar10/test_index.txt"));
  std::string line;
  std::size_t checked = 0;
  std::vector<int> per_class(10, 0);
  while (std::getline(index, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::size_t rec;
    int label;
    ls >> rec >> label;
    ASSERT_EQ(d->label(rec), label) << "record " << rec;
    ++checked;
  }
  EXPECT_EQ(checked, 10000u);
  for (std::size_t i = 0; i < d->size(); ++i) ++per_class[d->label(i)];
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));
  cv::Mat img = d->load(0);
  EXPECT_EQ(img.rows, 32);
  EXPECT_EQ(img.channels(), 3);
}

TEST(Datasets, MnistIdxWithGzipAndLabelsBeside) {
  auto d = dputk::open_dataset(data_path("mnist/t10k-images-idx3-ubyte.gz"));
  ASSERT_EQ(d->size(), 10000u);
  EXPECT_EQ(d->label(0), 7);  // the first MNIST test digit is a 7
  EXPECT_EQ(d->load(0).channels(), 1);
}

TEST(Datasets, FolderPlusListFile) {
  auto d = dputk::open_dataset(data_path("imagenet/val_500"), data_path("imagenet/val_500.txt"));
  ASSERT_EQ(d->size(), 500u);
  EXPECT_EQ(d->label(0), 472);
  EXPECT_EQ(d->load(0).cols, 227);
}

// A list of file names only: unlabelled images (segmentation, --compare_float).
TEST(Datasets, FolderPlusUnlabelledListFile) {
  const std::string dir = dputk::test::scratch_dir("unlabelled_list");
  dputk::write_file_atomic(dir + "/photos.txt", "ILSVRC2012_val_00000347.JPEG\nILSVRC2012_val_00000355.JPEG\n");
  auto d = dputk::open_dataset(data_path("imagenet/val_500"), dir + "/photos.txt");
  ASSERT_EQ(d->size(), 2u);
  EXPECT_FALSE(d->has_labels());
  EXPECT_EQ(d->load(1).cols > 0, true);
}

TEST(Datasets, ImageFolderLayoutUsesSortedClassFolders) {
  const std::string dir = dputk::test::scratch_dir("imagefolder");
  fs::create_directories(dir + "/b_class");
  fs::create_directories(dir + "/a_class");
  fs::copy_file(data_path("imagenet/val_500/ILSVRC2012_val_00000347.JPEG"), dir + "/a_class/x.JPEG");
  fs::copy_file(data_path("imagenet/val_500/ILSVRC2012_val_00000355.JPEG"), dir + "/b_class/y.jpeg");
  auto d = dputk::open_dataset(dir);
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ(d->label(0), 0);
  EXPECT_EQ(d->label(1), 1);
  EXPECT_NE(d->description().find("2 classes"), std::string::npos);
}

TEST(Datasets, BadInputsNameTheFile) {
  const std::string dir = dputk::test::scratch_dir("bad_data");
  EXPECT_NE(error_of([&] { dputk::open_dataset(dir + "/nope"); }).find(dir + "/nope"), std::string::npos);
  dputk::write_file_atomic(dir + "/odd.bin", std::string(100, '\1'));
  EXPECT_NE(error_of([&] { dputk::open_dataset(dir + "/odd.bin"); }).find("not a dataset"), std::string::npos);
  dputk::write_file_atomic(dir + "/list.txt", "missing.JPEG 3\n");
  EXPECT_NE(error_of([&] { dputk::open_dataset(dir, dir + "/list.txt"); }).find("missing.JPEG"), std::string::npos);
  dputk::write_file_atomic(dir + "/list2.txt", "a.JPEG 3\nb.JPEG\n");
  EXPECT_NE(error_of([&] { dputk::open_dataset(dir, dir + "/list2.txt"); }).find("list2.txt:2: mixes labelled and unlabelled"), std::string::npos);
  dputk::write_file_atomic(dir + "/list3.txt", "a.JPEG three\n");
  EXPECT_NE(error_of([&] { dputk::open_dataset(dir, dir + "/list3.txt"); }).find("list3.txt:1"), std::string::npos);
  // An image that fails to decode.
  fs::create_directories(dir + "/imgs");
  dputk::write_file_atomic(dir + "/imgs/broken.jpg", "this is not a jpeg");
  auto d = dputk::open_dataset(dir + "/imgs");
  EXPECT_NE(error_of([&] { d->load(0); }).find("broken.jpg"), std::string::npos);
  EXPECT_NE(error_of([&] { dputk::select_indices(10, 11, false, 0); }).find("holds only 10"), std::string::npos);
}

TEST(SelectIndices, SkipLeavesOutTheFirstOfTheSamplingOrder) {
  EXPECT_EQ(dputk::select_indices(6, 2, false, 0, 3), (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(dputk::select_indices(6, 0, false, 0, 4), (std::vector<std::size_t>{4, 5}));
  // A seeded draw and the rest of it: disjoint, together the whole set, each sorted; skip 0 is the draw
  // without a skip.
  const auto calib = dputk::select_indices(10000, 500, true, 7);
  const auto test = dputk::select_indices(10000, 0, true, 7, 500);
  ASSERT_EQ(calib.size(), 500u);
  ASSERT_EQ(test.size(), 9500u);
  EXPECT_TRUE(std::is_sorted(calib.begin(), calib.end()) && std::is_sorted(test.begin(), test.end()));
  std::vector<std::size_t> both;
  std::set_union(calib.begin(), calib.end(), test.begin(), test.end(), std::back_inserter(both));
  EXPECT_EQ(both.size(), 10000u);
  EXPECT_NE(calib, dputk::select_indices(10000, 500, true, 8));  // the seed matters
  // The draw spreads over a file sorted by class (CIFAR-10's test_batch.bin here: 1000 per class).
  EXPECT_GT(std::count_if(calib.begin(), calib.end(), [](std::size_t i) { return i >= 9000; }), 20);
  EXPECT_NE(error_of([&] { dputk::select_indices(10, 8, true, 0, 3); }).find("holds only 7 after the 3 skipped"), std::string::npos);
  EXPECT_NE(error_of([&] { dputk::select_indices(10, 0, true, 0, 10); }).find("leaves none"), std::string::npos);
}

TEST(Preprocess, ExtremeAspectRatioIsRefusedNotAllocated) {
  // 1 x 60000 would become 256 x 15,360,000 (11.8 GB of RGB) under torchvision's shorter-side resize.
  const cv::Mat strip(1, 60000, CV_8UC3, cv::Scalar(1, 2, 3));
  const auto p = dputk::Preprocess::preset("torchvision");
  EXPECT_NE(error_of([&] { dputk::output_hwc(strip, p); }).find("image of 60000x1 would be resized to 15360000x256: aspect ratio too extreme"),
            std::string::npos);
  EXPECT_NE(error_of([&] { dputk::resize_and_crop(strip, p); }).find("aspect ratio too extreme"), std::string::npos);
  EXPECT_NE(error_of([&] { dputk::resize_and_crop(cv::Mat(0, 5, CV_8UC3), p); }).find("empty image"), std::string::npos);
}

TEST(Datasets, ForgedMnistHeaderCannotWrapTheSizeCheck) {
  // 4 images of 2^31 x 2^31: 4·2^62 = 2^64 wraps to 0 pixels, "matching" a bare 16-byte header.
  const std::string dir = dputk::test::scratch_dir("forged_idx");
  auto be = [](std::uint32_t v) { return std::string{char(v >> 24), char(v >> 16 & 0xff), char(v >> 8 & 0xff), char(v & 0xff)}; };
  dputk::write_file_atomic(dir + "/x-images-idx3-ubyte", be(0x803) + be(4) + be(1u << 31) + be(1u << 31));
  dputk::write_file_atomic(dir + "/x-labels-idx1-ubyte", be(0x801) + be(4) + std::string(4, '\1'));
  const std::string e = error_of([&] { dputk::open_dataset(dir + "/x-images-idx3-ubyte"); });
  EXPECT_NE(e.find("x-images-idx3-ubyte: idx3 header says 4 images of 2147483648x2147483648"), std::string::npos) << e;
}

TEST(Preprocess, TorchvisionGeometryAndNormalization) {
  auto p = dputk::Preprocess::preset("torchvision");
  cv::Mat img(300, 400, CV_8UC3, cv::Scalar(255, 0, 128));
  auto hwc = dputk::output_hwc(img, p);
  EXPECT_EQ(hwc, (std::array<int, 3>{224, 224, 3}));
  std::vector<float> out(224 * 224 * 3);
  dputk::preprocess_into(img, p, out.data());
  EXPECT_NEAR(out[0], (1.0f - 0.485f) / 0.229f, 1e-5f);
  EXPECT_NEAR(out[1], (0.0f - 0.456f) / 0.224f, 1e-5f);
  EXPECT_NEAR(out[2], (128.0f / 255.0f - 0.406f) / 0.225f, 1e-5f);
  p.bgr = true;
  dputk::preprocess_into(img, p, out.data());
  EXPECT_NEAR(out[0], (128.0f / 255.0f - 0.485f) / 0.229f, 1e-5f);
  EXPECT_THROW(dputk::Preprocess::preset("caffe"), std::invalid_argument);
}

TEST(Preprocess, BatchOfRealImagesIsNhwc) {
  auto d = dputk::open_dataset(data_path("imagenet/val_500"), data_path("imagenet/val_500.txt"));
  auto b = dputk::make_batch(*d, {0, 1, 2}, dputk::Preprocess::preset("inception"));
  EXPECT_EQ(b.input.shape, (std::vector<std::int32_t>{3, 224, 224, 3}));
  EXPECT_EQ(b.labels, (std::vector<int>{472, 260, 300}));
  for (float v : b.input.data) ASSERT_TRUE(v >= -1.0f && v <= 1.0f);
}

}  // namespace

namespace {

// libjpeg decodes a truncated JPEG with only a warning (the rest comes out grey); such an image must
// not count in an accuracy figure. Every real photo in the shared data is complete.
TEST(Datasets, TruncatedImageIsAnErrorNamingTheFile) {
  const std::string dir = dputk::test::scratch_dir("truncated_images");
  const std::string photo = data_path("imagenet/val_500/ILSVRC2012_val_00000347.JPEG");
  const std::string bytes = dputk::read_file(photo);
  dputk::write_file_atomic(dir + "/cut.JPEG", bytes.substr(0, 3000));
  dputk::write_file_atomic(dir + "/list.txt", "cut.JPEG 472\n");
  auto d = dputk::open_dataset(dir, dir + "/list.txt");
  const std::string e = error_of([&] { d->load(0); });
  EXPECT_NE(e.find(dir + "/cut.JPEG"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated JPEG"), std::string::npos) << e;
  EXPECT_EQ(dputk::incomplete_image_reason(bytes), "");
  EXPECT_NE(dputk::incomplete_image_reason(bytes.substr(0, bytes.size() - 2)), "");  // only the EOI marker missing
  for (const auto& e2 : fs::directory_iterator(data_path("imagenet/val_500")))
    EXPECT_EQ(dputk::incomplete_image_reason(dputk::read_file(e2.path().string())), "") << e2.path();
  for (const auto& e2 : fs::recursive_directory_iterator(data_path("segmentation")))
    if (e2.path().extension() == ".jpg" || e2.path().extension() == ".png")
      EXPECT_EQ(dputk::incomplete_image_reason(dputk::read_file(e2.path().string())), "") << e2.path();
}

// A list line's class index is its last integer field (val_500.txt adds a synset after it), and the
// file name is everything before it, spaces included.
TEST(Datasets, ListFileNamesWithSpaces) {
  const std::string dir = dputk::test::scratch_dir("spaced_names");
  fs::copy_file(data_path("imagenet/val_500/ILSVRC2012_val_00000347.JPEG"), dir + "/a b.JPEG", fs::copy_options::overwrite_existing);
  dputk::write_file_atomic(dir + "/list.txt", "a b.JPEG 472\na b.JPEG 472 n09999999\n");
  auto d = dputk::open_dataset(dir, dir + "/list.txt");
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ(d->label(0), 472);
  EXPECT_EQ(d->label(1), 472);
  EXPECT_EQ(d->name(0), dir + "/a b.JPEG");
  EXPECT_GT(d->load(0).cols, 0);
  dputk::write_file_atomic(dir + "/unlabelled.txt", "a b.JPEG\n");
  auto u = dputk::open_dataset(dir, dir + "/unlabelled.txt");
  EXPECT_FALSE(u->has_labels());
  EXPECT_GT(u->load(0).cols, 0);
}

}  // namespace

// A pass over a set in batches: every index once, in order, batches of n, the last one shorter.
TEST(Batches, OfNInOrderWithAShortLastOne) {
  const std::vector<std::size_t> ids{7, 3, 9, 1, 4, 8, 2};
  const auto b = dputk::batches_of(ids, 3);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (std::vector<std::size_t>{7, 3, 9}));
  EXPECT_EQ(b[1], (std::vector<std::size_t>{1, 4, 8}));
  EXPECT_EQ(b[2], (std::vector<std::size_t>{2}));
  EXPECT_EQ(dputk::batches_of(ids, 7).size(), 1u);
  EXPECT_EQ(dputk::batches_of(ids, 100)[0], ids);
  EXPECT_TRUE(dputk::batches_of({}, 4).empty());
  EXPECT_THROW(dputk::batches_of(ids, 0), std::invalid_argument);
}
