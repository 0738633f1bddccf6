// The model zoo in CI: small torch networks with the layout / resampling ops of necks and ShuffleNet
// (tests/zoo/make_layout_models.py) against torch's own outputs, and the rows scripts/model_zoo.py
// wrote for the CI subset (torchvision networks at 128x128, the real DeepLabV3, the small networks):
// every one quantized, compiled and emulated with outputs identical to the quantizer's test mode.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dputk/common/npy.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "dputk/data/voc_palette.hpp"
#include "dputk/quantizer/prepare.hpp"
#include "xir/graph/graph.hpp"
#include "cli_runner.hpp"
#include "test_data.hpp"

namespace {

// RFC 4648 base64 (the report's data: URIs).
std::vector<std::uint8_t> base64_decode(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char ch : text) {
    int v = -1;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    else if (ch == '+') v = 62;
    else if (ch == '/') v = 63;
    if (v < 0) continue;  // '=' padding
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if ((count += 6) >= 8) {
      count -= 8;
      out.push_back(static_cast<std::uint8_t>((bits >> count) & 0xFF));
    }
  }
  return out;
}

}  // namespace

namespace {

const char* kLayoutModels[] = {"neck_nearest", "neck_bilinear", "neck_align", "shuffle_split", "misc_ops", "fc_over_map", "deconv_neck"};

std::string layout_path(const std::string& f) { return std::string(DPU_LAYOUT_MODELS_DIR) + "/" + f; }

class LayoutModel : public ::testing::TestWithParam<const char*> {};

// Imported and prepared as the quantizer prepares it (folds, FC over a map as a convolution, CLE: all
// exact rewrites), the float network computes what torch computes.
TEST_P(LayoutModel, PreparedFloatNetworkMatchesTorch) {
  const std::string name = GetParam();
  dputk::OnnxImportOptions opt;
  opt.batch = 2;
  auto graph = dputk::import_onnx(layout_path(name + ".onnx"), opt);
  dputk::prepare_graph(*graph, {});
  const auto in = dputk::read_npy(layout_path(name + "_ref_input.npy"));
  const auto ref = dputk::read_npy(layout_path(name + "_ref_out.npy"));
  dputk::engine::FloatExecutor exec(*graph);
  auto x = dputk::test::nhwc_from_npy(in);
  auto out = exec.run({&x});
  ASSERT_EQ(out[0].numel(), static_cast<std::int64_t>(ref.data.size()));
  // torch's NCHW output vs ours (NHWC for 4-D maps).
  const bool map = ref.shape.size() == 4;
  const int n = static_cast<int>(ref.shape[0]), c = static_cast<int>(ref.shape[1]);
  const int hw = map ? static_cast<int>(ref.shape[2] * ref.shape[3]) : 1;
  float peak = 0, worst = 0;
  for (int b = 0; b < n; ++b)
    for (int ch = 0; ch < c; ++ch)
      for (int p = 0; p < hw; ++p) {
        const float r = ref.data[(static_cast<std::size_t>(b) * c + ch) * hw + p];
        const float o = out[0].data[(static_cast<std::size_t>(b) * hw + p) * c + ch];
        peak = std::max(peak, std::fabs(r));
        worst = std::max(worst, std::fabs(r - o));
      }
  EXPECT_GT(peak, 0.1f) << name;
  EXPECT_LE(worst, 1e-4f * peak) << name << ": largest difference " << worst << " of peak " << peak;
}

INSTANTIATE_TEST_SUITE_P(Zoo, LayoutModel, ::testing::ValuesIn(kLayoutModels));

nlohmann::json zoo_rows() {
  std::ifstream f(std::string(DPU_ZOO_DIR) + "/zoo.json");
  EXPECT_TRUE(f.good()) << "scripts/model_zoo.py did not write " << DPU_ZOO_DIR << "/zoo.json";
  nlohmann::json j;
  if (f.good()) f >> j;
  return j;
}

const nlohmann::json* row(const nlohmann::json& rows, const std::string& model) {
  for (const auto& r : rows)
    if (r.value("model", "") == model) return &r;
  return nullptr;
}

TEST(ModelZoo, EveryModelRunsOnTheEmulatedDpuExactlyAsInTestMode) {
  const auto rows = zoo_rows();
  ASSERT_GE(rows.size(), 8u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.value("status", ""), "ok") << r.dump();
    EXPECT_TRUE(r.value("emulator_equals_test", false)) << r.dump();
    EXPECT_GE(r.value("outputs_compared", 0), 1) << r.dump();
    // Seeded random weights, 4 calibration images: far from accurate, but the int8 network computes the
    // float one's function (a broken quantization gives ~0 dB or less). The deep torchvision networks with
    // random weights lose more on the way (lraspp: ~3 dB at 128x128; 25 dB after its first blocks).
    const std::string m = r.value("model", "");
    const bool deep_random = m == "lraspp_mobilenet_v3_large" || m == "mobilenet_v3_small" || m == "shufflenet_v2_x1_0";
    EXPECT_GT(r.value("sqnr_db", 0.0), deep_random ? 1.0 : 6.0) << r.dump();
  }
}

TEST(ModelZoo, WhatTheDpuCanDoStaysInOneSubgraph) {
  const auto rows = zoo_rows();
  // Nearest x2 upsampling and concat on the DPU; a bilinear resize after the last conv goes to the CPU
  // and leaves one DPU subgraph; in the middle of the network it splits it in two. A fully connected
  // layer over a flattened map is a convolution of the map; MobileNetV3's hard-sigmoid and hard-swish
  // (x · hard-sigmoid(x)) are the DPU's HSIGMOID and eltwise MUL; transposed convolutions run on it;
  // ShuffleNet's channel shuffle (transposes and views) and its split into another fix point are 1×1
  // convolutions with one-hot weights (49 DPU subgraphs before).
  for (const char* m : {"neck_nearest", "deeplabv3_mnv2_pascal", "fc_over_map", "mobilenet_v3_small", "deconv_neck", "shufflenet_v2_x1_0"}) {
    const auto* r = row(rows, m);
    ASSERT_NE(r, nullptr) << m;
    EXPECT_EQ((*r)["dpu_subgraphs"].get<int>(), 1) << r->dump();
    EXPECT_DOUBLE_EQ((*r)["dpu_mac_share"].get<double>(), 1.0) << r->dump();
  }
  const auto* b = row(rows, "neck_bilinear");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)["dpu_subgraphs"].get<int>(), 2);
  EXPECT_TRUE((*b)["cpu_ops"].contains("Resize")) << b->dump();
  // The ShuffleNetV2 unit: only its average pool without padding (which the DPU would count) stays on the CPU.
  const auto* s = row(rows, "shuffle_split");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ((*s)["cpu_ops"].size(), 1u) << s->dump();
  EXPECT_TRUE((*s)["cpu_ops"].contains("AveragePool")) << s->dump();
}

TEST(ModelZoo, RealDeepLabLabelMapsAgreeWithFloat) {
  const auto rows = zoo_rows();
  const auto* r = row(rows, "deeplabv3_mnv2_pascal");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ((*r)["agreement_kind"].get<std::string>(), "pixels");
  // Measured 96.36% (calibrate on the first 8 photos, test on the next 8; 96.59% on the first 8 after
  // calibrating on 100 others); in CI 4 and 4: 96.54%.
  EXPECT_GE((*r)["agreement"].get<double>(), 90.0) << r->dump();
  // Its final bilinear resize is left in float for the CPU (no fix after it): the only CPU op.
  ASSERT_TRUE((*r)["cpu_ops"].contains("Resize")) << r->dump();
  EXPECT_NE((*r)["cpu_ops"]["Resize"].get<std::string>().find("left in float"), std::string::npos) << r->dump();
  EXPECT_EQ((*r)["cpu_ops"].size(), 1u) << r->dump();
  // Its 1x1 convolutions' weight fix points by their input channels' energy: the trial on the
  // calibration images measures it better here (output SQNR +0.8 dB), unlike on the MobileNet classifiers.
  EXPECT_EQ(r->value("pointwise_weights", ""), "input energy") << r->dump();
}

}  // namespace

namespace {

// segment on the first val_500 photo (the one the zoo run's --deploy dumped): its label map against
// the argmax of the quantizer's final score map (test mode: the model's own bilinear resize, in float).
TEST(SegmentApp, LabelMapOfTheEmulatedDpuMatchesTheQuantizerAndPngsAreWritten) {
  const std::string zoo = std::string(DPU_ZOO_DIR) + "/deeplabv3_mnv2_pascal";
  const std::string out = dputk::test::scratch_dir("segment_app");
  auto r = dputk::test::run_cli("segment", zoo + "/compiled/deeplabv3_mnv2_pascal.xmodel " +
                                               dputk::test::data_path("imagenet/val_500.txt") + " --out " + out + " --limit 2");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Images: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("background"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("images/s"), std::string::npos) << r.out;
  const cv::Mat colour = cv::imread(out + "/ILSVRC2012_val_00000347_label.png", cv::IMREAD_COLOR);
  const cv::Mat overlay = cv::imread(out + "/ILSVRC2012_val_00000355_overlay.png", cv::IMREAD_COLOR);
  ASSERT_FALSE(colour.empty());
  ASSERT_FALSE(overlay.empty());
  ASSERT_EQ(colour.rows, 513);
  ASSERT_EQ(colour.cols, 513);
  // The PASCAL VOC palette back to labels.
  std::map<std::array<int, 3>, int> palette;
  for (int l = 0; l < 21; ++l) {
    const auto rgb = dputk::voc_rgb(l);
    palette[{rgb[2], rgb[1], rgb[0]}] = l;
  }
  // The final bilinear resize is the network's float tail: its float32 scores are dumped as logits.bin.
  std::ifstream f(zoo + "/quantize_result/deploy_check_data_int/tflite_dequantized/logits.bin", std::ios::binary);
  std::vector<float> scores(513u * 513u * 21u);
  f.read(reinterpret_cast<char*>(scores.data()), static_cast<std::streamsize>(scores.size() * sizeof(float)));
  ASSERT_TRUE(f.good()) << "the deploy dump of the score map is missing or short";
  ASSERT_EQ(scores.size(), 513u * 513u * 21u);
  std::size_t same = 0;
  for (int y = 0; y < 513; ++y)
    for (int x = 0; x < 513; ++x) {
      const cv::Vec3b c = colour.at<cv::Vec3b>(y, x);
      auto it = palette.find({c[0], c[1], c[2]});
      ASSERT_NE(it, palette.end()) << "colour outside the VOC palette at " << y << "," << x;
      const float* s = scores.data() + (static_cast<std::size_t>(y) * 513 + x) * 21;
      same += static_cast<int>(std::max_element(s, s + 21) - s) == it->second;
    }
  // The app interpolates the DPU's int8 scores in float, as the model's own resize does (its output
  // stays float): the same labels everywhere (with the resize's output rounded to int8 again, 1% of
  // the pixels differed, where close classes tied).
  EXPECT_EQ(same, 513u * 513u) << same << " of " << 513 * 513 << " pixels agree";
}

}  // namespace

namespace {

// --mask_dir on unlabelled images (a list of file names only): masks written by the segment app from the
// emulated DPU are nearly the int8 model's own labels, so its mIoU is high and above the float model's.
TEST(SegmentationMasks, MiouOfInt8AndFloatOnUnlabelledImages) {
  const std::string zoo = std::string(DPU_ZOO_DIR) + "/deeplabv3_mnv2_pascal";
  const std::string dir = dputk::test::scratch_dir("seg_masks");
  auto r = dputk::test::run_cli("segment", zoo + "/compiled/deeplabv3_mnv2_pascal.xmodel " +
                                               dputk::test::data_path("imagenet/val_500.txt") + " --out " + dir + "/app --skip 10 --limit 2");
  ASSERT_EQ(r.code, 0) << r.out;
  std::filesystem::create_directories(dir + "/masks");
  std::ofstream list(dir + "/photos.txt");
  for (const auto& e : std::filesystem::directory_iterator(dir + "/app")) {
    const std::string f = e.path().filename().string();
    const auto pos = f.find("_label.png");
    if (pos == std::string::npos) continue;
    std::filesystem::copy_file(e.path(), dir + "/masks/" + f.substr(0, pos) + ".png");
    list << f.substr(0, pos) << ".JPEG\n";
  }
  list.close();
  r = dputk::test::run_cli("dpu-quantize", "--model " + dputk::test::data_path("segmentation/deeplabv3_mnv2_dm05_pascal_quant_dequant.onnx") +
                                               " --preprocess deeplab --data_dir " + dputk::test::data_path("imagenet/val_500") +
                                               " --val_list " + dir + "/photos.txt --quant_mode test --compare_float --mask_dir " + dir +
                                               "/masks --output_dir " + zoo + "/quantize_result");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("no class labels"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("mIoU against .* \\(2 images\\): int8 ([0-9.]+)%, float ([0-9.]+)%"))) << r.out;
  const double int8 = std::stod(m[1]), fl = std::stod(m[2]);
  EXPECT_GE(int8, 90.0) << r.out;
  EXPECT_LT(fl, int8) << r.out;
  // int8 changes a pixel's label only where the float scores' top two are close (measured: none at a
  // margin of 2 or more; 47% of the pixels within 1/8): the label maps differ at boundaries, not in regions.
  std::smatch bins;
  ASSERT_TRUE(std::regex_search(r.out, bins, std::regex("Disagreement by the float top-2 margin \\(pixels in the bin, of them differing\\): "
                                                        "< 0\\.125: [0-9.]+% / ([0-9.]+)%;.* < 4: [0-9.]+% / ([0-9.]+)%; < 8: [0-9.]+% / ([0-9.]+)%; "
                                                        ">= 8: [0-9.]+% / ([0-9.]+)%; int8 error of the margin ([0-9.]+) rms")))
      << r.out;
  EXPECT_GT(std::stod(bins[1]), 20.0) << bins[0];
  for (int far : {2, 3, 4}) EXPECT_EQ(std::stod(bins[far]), 0.0) << bins[0];
  EXPECT_LT(std::stod(bins[5]), 1.0) << bins[0];
  // The report pictures the photo whose labels int8 changes most: its float and int8 label maps (VOC
  // colours) and the pixels that differ (red) — three PNGs in the page, consistent with each other and
  // with the count the page states.
  {
    std::ifstream in(zoo + "/quantize_result/quant_report.html");
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::smatch stated;
    ASSERT_TRUE(std::regex_search(html, stated, std::regex("red: the ([0-9]+) of 263169 pixels"))) << "no label maps in the report";
    std::map<std::string, cv::Mat> maps;
    const std::regex img("<img alt=\"([a-z0-9 ]+)\" width=\"[0-9]+\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator(); ++it)
      maps[(*it)[1]] = cv::imdecode(base64_decode((*it)[2]), cv::IMREAD_COLOR);
    ASSERT_EQ(maps.size(), 3u);
    const cv::Mat &f = maps["float labels"], &q = maps["int8 labels"], &d = maps["labels that differ"];
    ASSERT_EQ(f.size(), cv::Size(513, 513));
    ASSERT_EQ(q.size(), f.size());
    ASSERT_EQ(d.size(), f.size());
    int red = 0, mismatched = 0;
    for (int y = 0; y < f.rows; ++y)
      for (int x = 0; x < f.cols; ++x) {
        const bool differs = f.at<cv::Vec3b>(y, x) != q.at<cv::Vec3b>(y, x);
        const bool marked = d.at<cv::Vec3b>(y, x) == cv::Vec3b(0, 0, 220);
        red += marked;
        mismatched += differs != marked;
      }
    EXPECT_EQ(mismatched, 0);
    EXPECT_EQ(red, std::stoi(stated[1]));
    EXPECT_GT(red, 0);
  }
  // A list with ImageNet class labels does not make a segmentation map a classifier: no accuracy figure.
  r = dputk::test::run_cli("dpu-quantize", "--model " + dputk::test::data_path("segmentation/deeplabv3_mnv2_dm05_pascal_quant_dequant.onnx") +
                                               " --preprocess deeplab --data_dir " + dputk::test::data_path("imagenet/val_500") +
                                               " --val_list " + dputk::test::data_path("imagenet/val_500.txt") +
                                               " --skip 10 --subset_len 1 --quant_mode test --output_dir " + zoo + "/quantize_result");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("Accuracy:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the output is a score map"), std::string::npos) << r.out;
}

}  // namespace

namespace {

// The zoo's compiled models through the optimized kernels (oneDNN, SIMD, the hard-sigmoid table) and
// the reference ones, on inputs over the full int8 range: the same bytes, every output and every op.
TEST(ModelZoo, OptimizedAndReferenceKernelsAgreeOnTheCompiledModels) {
  for (const char* m : {"mobilenet_v3_small", "deconv_neck", "misc_ops", "neck_bilinear", "shuffle_split", "fc_over_map"}) {
    auto g = xir::Graph::deserialize(std::string(DPU_ZOO_DIR) + "/" + m + "/compiled/" + m + ".xmodel");
    dputk::engine::DpuExecutorOptions ref_opt;
    ref_opt.fast = false;
    dputk::engine::DpuExecutor fast(*g), ref(*g, ref_opt);
    std::vector<dputk::engine::DpuTensor> ins;
    std::uint32_t seed = 7;
    for (std::size_t i = 0; i < fast.input_ops().size(); ++i) {
      dputk::engine::DpuTensor t;
      t.shape = fast.input_ops()[i]->get_output_tensor()->get_shape();
      t.fix_point = fast.input_fix_point(i);
      for (std::int64_t k = 0; k < t.numel(); ++k) t.data.push_back(static_cast<std::int8_t>((seed = seed * 1664525u + 1013904223u) >> 24));
      ins.push_back(std::move(t));
    }
    std::vector<const dputk::engine::DpuTensor*> ptrs;
    for (const auto& t : ins) ptrs.push_back(&t);
    std::map<std::string, std::vector<std::int8_t>> seen;
    const auto a = fast.run(ptrs, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) { seen[op->get_name()] = v.data; });
    std::size_t compared = 0;
    const auto b = ref.run(ptrs, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) {
      auto it = seen.find(op->get_name());
      if (it == seen.end() || v.data.empty()) return;
      ++compared;
      EXPECT_EQ(it->second, v.data) << m << ": op " << op->get_name() << " (" << op->get_type() << ")";
    });
    ASSERT_EQ(a.size(), b.size());
    EXPECT_GT(compared, 5u) << m;
  }
}

}  // namespace
