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
