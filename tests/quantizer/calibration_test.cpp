// The diffs search on the spec's worked examples, and calibration of a real model end to end.
#include <gtest/gtest.h>

#include <random>

#include "dputk/quantizer/calibrate.hpp"

using dputk::diffs_fix_point;
using dputk::dpu::RoundMode;

TEST(DiffsSearch, WorkedExampleANoOutliers) {
  std::vector<float> x{0.1f, 0.5f, 2.9f, 6.0f};
  EXPECT_EQ(diffs_fix_point(x.data(), 4, 1, RoundMode::DPU_ROUND), 4);  // maxmin
  EXPECT_EQ(diffs_fix_point(x.data(), 4, 5, RoundMode::DPU_ROUND), 4);
}

TEST(DiffsSearch, WorkedExampleBClipsOneOutlier) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-0.999f, 0.999f);
  std::vector<float> x(4096);
  for (auto& v : x) v = u(rng);
  x.push_back(9.0f);
  EXPECT_EQ(diffs_fix_point(x.data(), static_cast<std::int64_t>(x.size()), 1, RoundMode::DPU_ROUND), 3);
  EXPECT_EQ(diffs_fix_point(x.data(), static_cast<std::int64_t>(x.size()), 5, RoundMode::DPU_ROUND), 4);
}

TEST(DiffsSearch, AllZeroTensorGetsTheMaximum) {
  std::vector<float> x(16, 0.0f);
  EXPECT_EQ(diffs_fix_point(x.data(), 16, 5, RoundMode::DPU_ROUND), 18);
}

namespace {

// A weight on an input channel that carries no signal (a dead ReLU: MobileNetV1's −68 depthwise weight)
// must not set the layer's range; with equal channel energies the weighted search is the diffs search.
TEST(WeightFixPoint, ChannelsWithoutSignalDoNotSetTheRange) {
  const std::vector<float> w{68.0f, 1.5f, -2.0f, 0.7f, -3.0f, 0.9f, 2.6f, -0.4f};  // [2 out, 1, 1, 4 in]
  EXPECT_EQ(dputk::diffs_fix_point(w.data(), 8, 5, dputk::dpu::RoundMode::STD_ROUND), 0);
  EXPECT_EQ(dputk::weighted_weight_fix_point(w.data(), 8, {0.0, 1.0, 1.0, 1.0}), 4);  // range [−8, 7.9]: 2.6 and −3 fit
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  std::vector<float> r(4096);
  for (auto& x : r) x = nd(rng);
  r[17] = 2.5f;  // an outlier the diffs search clips
  EXPECT_EQ(dputk::weighted_weight_fix_point(r.data(), 4096, std::vector<double>(16, 2.0)),
            dputk::diffs_fix_point(r.data(), 4096, 5, dputk::dpu::RoundMode::STD_ROUND));
}

}  // namespace
