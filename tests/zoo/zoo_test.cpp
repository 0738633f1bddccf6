// The model zoo in CI: small torch networks with the layout / resampling ops of necks and ShuffleNet
// (tests/zoo/make_layout_models.py) against torch's own outputs, and the rows scripts/model_zoo.py
// wrote for the CI subset (torchvision networks at 128x128, the real DeepLabV3, the small networks):
// every one quantized, compiled and emulated with outputs identical to the quantizer's test mode.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dputk/common/npy.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "test_data.hpp"

namespace {

const char* kLayoutModels[] = {"neck_nearest", "neck_bilinear", "neck_align", "shuffle_split"};

std::string layout_path(const std::string& f) { return std::string(DPU_LAYOUT_MODELS_DIR) + "/" + f; }

class LayoutModel : public ::testing::TestWithParam<const char*> {};

TEST_P(LayoutModel, FloatEngineMatchesTorch) {
  const std::string name = GetParam();
  dputk::OnnxImportOptions opt;
  opt.batch = 2;
  auto graph = dputk::import_onnx(layout_path(name + ".onnx"), opt);
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
    EXPECT_GT(r.value("sqnr_db", 0.0), 10.0) << r.dump();
  }
}

TEST(ModelZoo, WhatTheDpuCanDoStaysInOneSubgraph) {
  const auto rows = zoo_rows();
  // Nearest x2 upsampling and concat on the DPU; a bilinear resize after the last conv goes to the CPU
  // and leaves one DPU subgraph; in the middle of the network it splits it in two.
  for (const char* m : {"neck_nearest", "deeplabv3_mnv2_pascal"}) {
    const auto* r = row(rows, m);
    ASSERT_NE(r, nullptr) << m;
    EXPECT_EQ((*r)["dpu_subgraphs"].get<int>(), 1) << r->dump();
    EXPECT_DOUBLE_EQ((*r)["dpu_mac_share"].get<double>(), 1.0) << r->dump();
  }
  const auto* b = row(rows, "neck_bilinear");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)["dpu_subgraphs"].get<int>(), 2);
  EXPECT_TRUE((*b)["cpu_ops"].contains("Resize")) << b->dump();
}

TEST(ModelZoo, RealDeepLabLabelMapsAgreeWithFloat) {
  const auto rows = zoo_rows();
  const auto* r = row(rows, "deeplabv3_mnv2_pascal");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ((*r)["agreement_kind"].get<std::string>(), "pixels");
  // Measured 95.8% (8 calibration, 8 test photos); in CI 2 and 2.
  EXPECT_GE((*r)["agreement"].get<double>(), 90.0) << r->dump();
}

}  // namespace
