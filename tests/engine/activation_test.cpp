// The float activation over arrays (one vectorized loop per kind) against each kind's formula, on the
// values where the formulas turn: the bounds themselves, just either side, ±0, ±inf, and long runs that
// do not divide into the vector width.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::ref {
namespace {

std::vector<float> adversarial() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v{0.0f, -0.0f, 6.0f, std::nextafter(6.0f, 7.0f), std::nextafter(6.0f, 5.0f), -1e-30f, 1e-30f, inf, -inf,
                       -2.5f, 2.5f, 1.0f, -1.0f, 1e30f, -1e30f};
  for (int i = 0; i < 1001; ++i) v.push_back(-9.0f + 0.018f * static_cast<float>(i));  // odd length: a scalar tail
  return v;
}

ActivationParams params(Activation kind) {
  ActivationParams p;
  p.kind = kind;
  p.lo = -1.0f;
  p.hi = 2.5f;
  p.alpha = 0.1f;
  return p;
}

TEST(FloatActivation, ArraysEqualTheFormulaOfEveryKind) {
  const std::vector<float> x = adversarial();
  for (Activation kind : {Activation::NONE, Activation::RELU, Activation::RELU6, Activation::CLAMP, Activation::LEAKY_RELU}) {
    const ActivationParams p = params(kind);
    std::vector<float> out(x.size(), 123.0f), in_place = x;
    activation(x.data(), out.data(), static_cast<std::int64_t>(x.size()), p);
    activation(in_place.data(), in_place.data(), static_cast<std::int64_t>(x.size()), p);
    for (std::size_t i = 0; i < x.size(); ++i) {
      ASSERT_EQ(out[i], p.apply(x[i])) << "kind " << static_cast<int>(kind) << " at x = " << x[i];
      ASSERT_EQ(in_place[i], out[i]) << "kind " << static_cast<int>(kind) << " in place at x = " << x[i];
    }
  }
}

TEST(FloatActivation, TheFormulasThemselves) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(params(Activation::RELU).apply(-3.0f), 0.0f);
  EXPECT_EQ(params(Activation::RELU).apply(inf), inf);
  EXPECT_EQ(params(Activation::RELU6).apply(7.0f), 6.0f);
  EXPECT_EQ(params(Activation::RELU6).apply(-inf), 0.0f);
  EXPECT_EQ(params(Activation::RELU6).apply(5.5f), 5.5f);
  EXPECT_EQ(params(Activation::CLAMP).apply(-4.0f), -1.0f);
  EXPECT_EQ(params(Activation::CLAMP).apply(3.0f), 2.5f);
  EXPECT_EQ(params(Activation::CLAMP).apply(0.5f), 0.5f);
  EXPECT_FLOAT_EQ(params(Activation::LEAKY_RELU).apply(-2.0f), -0.2f);
  EXPECT_EQ(params(Activation::LEAKY_RELU).apply(2.0f), 2.0f);
  EXPECT_EQ(params(Activation::NONE).apply(-7.0f), -7.0f);
}

}  // namespace
}  // namespace dputk::engine::ref
