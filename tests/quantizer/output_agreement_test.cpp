// OutputAgreement (test mode's --compare_float, the trials, the sensitivity analysis): top-1 agreement,
// SQNR and the labels binned by the float output's top-2 margin, on rows whose answers are known.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "dputk/quantizer/evaluate.hpp"

namespace {

dputk::engine::FloatTensor rows(std::vector<float> v, int classes) {
  dputk::engine::FloatTensor t;
  t.shape = {static_cast<std::int32_t>(v.size()) / classes, classes};
  t.data = std::move(v);
  return t;
}

TEST(OutputAgreement, LabelsAreBinnedByTheFloatMarginWithTheInt8ErrorOfIt) {
  dputk::OutputAgreement a;
  // Row 0: float top two 1.0 / 0.9 (margin 0.1), int8 swaps them (its difference of the two: −0.2).
  // Row 1: margin 5, unchanged. Row 2: top 3.0, second 0.5 (margin 2.5); int8 raises the second to 1.0.
  a.add(rows({1.0f, 0.9f, 0.0f, 0.0f, 5.0f, 0.0f, 3.0f, 0.0f, 0.5f}, 3), rows({0.8f, 1.0f, 0.0f, 0.0f, 5.0f, 0.0f, 3.0f, 0.0f, 1.0f}, 3));
  EXPECT_EQ(a.labels, 3u);
  EXPECT_EQ(a.agree, 2u);
  std::size_t labels = 0;
  for (const auto& b : a.by_margin) {
    labels += b.labels;
    if (b.upper == 0.125) {
      EXPECT_EQ(b.labels, 1u);
      EXPECT_EQ(b.disagree, 1u);
      EXPECT_NEAR(b.error_sq, 0.3 * 0.3, 1e-6);
    } else if (b.upper == 4.0) {
      EXPECT_EQ(b.labels, 1u);
      EXPECT_EQ(b.disagree, 0u);
      EXPECT_NEAR(b.error_sq, 0.5 * 0.5, 1e-6);
    } else if (b.upper == 8.0) {
      EXPECT_EQ(b.labels, 1u);
      EXPECT_EQ(b.error_sq, 0.0);
    } else {
      EXPECT_EQ(b.labels, 0u) << b.upper;
    }
  }
  EXPECT_EQ(labels, 3u);
  EXPECT_EQ(a.margin_summary("image"),
            "Disagreement by the float top-2 margin (images in the bin, of them differing): < 0.125: 33.33% / 100.00%; "
            "< 4: 33.33% / 0.00%; < 8: 33.33% / 0.00%; int8 error of the margin 0.34 rms");
}

TEST(OutputAgreement, KeepsTheLabelMapsOfTheImageInt8ChangesMost) {
  // Two batches of score maps [N, 1, 2, 2 classes]: image 0 one pixel changed, image 1 none, image 2 both.
  dputk::engine::FloatTensor f, q;
  f.shape = q.shape = {2, 1, 2, 2};
  f.data = {1, 0, 0, 1, 1, 0, 0, 1};
  q.data = {0, 1, 0, 1, 1, 0, 0, 1};
  dputk::OutputAgreement a;
  a.add(f, q);
  EXPECT_EQ(a.worst_image.image, 0u);
  EXPECT_EQ(a.worst_image.differ, 1u);
  f.shape = q.shape = {1, 1, 2, 2};
  f.data = {1, 0, 0, 1};
  q.data = {0, 1, 1, 0};
  a.add(f, q);
  EXPECT_EQ(a.images, 3u);
  EXPECT_EQ(a.worst_image.image, 2u);
  EXPECT_EQ(a.worst_image.differ, 2u);
  EXPECT_EQ(a.worst_image.height, 1);
  EXPECT_EQ(a.worst_image.width, 2);
  EXPECT_EQ(a.worst_image.float_labels, (std::vector<std::uint8_t>{0, 1}));
  EXPECT_EQ(a.worst_image.int8_labels, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(a.agree, 3u);
  EXPECT_EQ(a.labels, 6u);
}

TEST(OutputAgreement, OneOutputHasNoMargin) {
  dputk::OutputAgreement a;
  a.add(rows({1.0f, 2.0f}, 1), rows({1.5f, 2.0f}, 1));
  EXPECT_EQ(a.agree, 2u);
  EXPECT_TRUE(a.margin_summary("image").empty());
  EXPECT_NEAR(a.sqnr_db(), 10.0 * std::log10(5.0 / 0.25), 1e-9);
}

}  // namespace
