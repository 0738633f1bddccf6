// engine::ConvGradient (oneDNN forward and backward-weights, fast finetune's layer) against plain loops:
// the forward against the engine's reference convolution, the weights' and bias's gradients against
// their definition (∂L/∂w[o,i,j,c] = Σ over images and output positions of dy · the input it multiplied).
// Strided, padded (asymmetric), dilated, grouped, depthwise with a multiplier, and a matmul as a 1×1
// convolution of a 1×1 image. Also the int8 forward of fix-quantized values (exact integer sums) and
// the bfloat16 gradient (within its stated error).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "dputk/engine/conv_gradient.hpp"

namespace {

using dputk::engine::ref::Window2d;

struct Case {
  const char* name;
  Window2d g;
  bool depthwise;
};

Window2d geometry(int h, int w, int c, int oc, int k, int stride, int dilation, int pad_top, int pad_left, int group, int multiplier) {
  Window2d g;
  g.h = h, g.w = w, g.c = c, g.oc = oc, g.kh = g.kw = k, g.sh = g.sw = stride, g.dh = g.dw = dilation;
  g.pad_top = pad_top, g.pad_left = pad_left, g.group = group, g.multiplier = multiplier;
  g.oh = (h + 2 * pad_top - dilation * (k - 1) - 1) / stride + 1;
  g.ow = (w + 2 * pad_left - dilation * (k - 1) - 1) / stride + 1;
  return g;
}

// Output channel o of the XIR-layout weights: its input channels and the index of weight (o, i, j, c).
struct Weights {
  const Window2d& g;
  bool depthwise;
  int in_per_out() const { return depthwise ? 1 : g.c / g.group; }
  int first_input(int o) const { return depthwise ? o / g.multiplier : (o / (g.oc / g.group)) * in_per_out(); }
  std::size_t index(int o, int i, int j, int c) const {  // c counts within the output's inputs
    if (depthwise) return ((static_cast<std::size_t>(o % g.multiplier) * g.kh + i) * g.kw + j) * g.c + o / g.multiplier;
    return ((static_cast<std::size_t>(o) * g.kh + i) * g.kw + j) * in_per_out() + c;
  }
  std::size_t count() const { return depthwise ? static_cast<std::size_t>(g.multiplier) * g.kh * g.kw * g.c : static_cast<std::size_t>(g.oc) * g.kh * g.kw * in_per_out(); }
};

// Calls f(n, oy, ox, o, i, j, c, input index) for every product of the convolution (c: within the
// output's inputs; input index −1 in the padding).
template <class F>
void products(const Window2d& g, const Weights& wt, int batch, F f) {
  for (int n = 0; n < batch; ++n)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int o = 0; o < g.oc; ++o)
          for (int i = 0; i < g.kh; ++i)
            for (int j = 0; j < g.kw; ++j) {
              const int y = oy * g.sh - g.pad_top + i * g.dh, x = ox * g.sw - g.pad_left + j * g.dw;
              const bool inside = y >= 0 && y < g.h && x >= 0 && x < g.w;
              for (int c = 0; c < wt.in_per_out(); ++c)
                f(n, oy, ox, o, i, j, c, inside ? ((static_cast<std::int64_t>(n) * g.h + y) * g.w + x) * g.c + wt.first_input(o) + c : -1);
            }
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c{
      {"3x3 stride 2, padding 1/0", geometry(9, 8, 5, 6, 3, 2, 1, 1, 0, 1, 1), false},
      {"1x1", geometry(5, 5, 7, 4, 1, 1, 1, 0, 0, 1, 1), false},
      {"3x3 dilation 2, padding 2", geometry(9, 9, 4, 3, 3, 1, 2, 2, 2, 1, 1), false},
      {"grouped (2), 3x3", geometry(6, 7, 6, 4, 3, 1, 1, 1, 1, 2, 1), false},
      {"depthwise 3x3 stride 2", geometry(8, 8, 5, 5, 3, 2, 1, 1, 1, 1, 1), true},
      {"depthwise, multiplier 2", geometry(6, 6, 3, 6, 3, 1, 1, 1, 1, 1, 2), true},
      {"matmul as 1x1 of 1x1", geometry(1, 1, 11, 9, 1, 1, 1, 0, 0, 1, 1), false},
  };
  return c;
}

// The definitions, in double: y = conv(x, w) + b, dw and db from dy; and per weight Σ|dy·x| and per
// bias Σ|dy| (what bounds a rounding of each term).
struct Reference {
  std::vector<double> y, dw, db, dw_abs, db_abs;
  Reference(const Case& k, int batch, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b,
            const std::vector<float>& dy) {
    const Window2d& g = k.g;
    const Weights wt{g, k.depthwise};
    y.assign(dy.size(), 0.0), dw.assign(w.size(), 0.0), db.assign(b.size(), 0.0), dw_abs.assign(w.size(), 0.0), db_abs.assign(b.size(), 0.0);
    products(g, wt, batch, [&](int n, int oy, int ox, int o, int i, int j, int c, std::int64_t at) {
      const std::size_t out = ((static_cast<std::size_t>(n) * g.oh + oy) * g.ow + ox) * g.oc + o;
      if (at < 0) return;
      const double xv = x[static_cast<std::size_t>(at)];
      y[out] += static_cast<double>(w[wt.index(o, i, j, c)]) * xv;
      dw[wt.index(o, i, j, c)] += static_cast<double>(dy[out]) * xv;
      dw_abs[wt.index(o, i, j, c)] += std::abs(static_cast<double>(dy[out]) * xv);
    });
    for (std::size_t i = 0; i < y.size(); ++i) {
      y[i] += b[i % static_cast<std::size_t>(g.oc)];
      db[i % static_cast<std::size_t>(g.oc)] += dy[i];
      db_abs[i % static_cast<std::size_t>(g.oc)] += std::abs(dy[i]);
    }
  }
};

std::vector<float> uniform(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& e : v) e = u(rng);
  return v;
}

// Multiples of 2^-fp of int8 values in [lo, 127].
std::vector<float> on_grid(std::size_t n, int fp, int lo, std::mt19937& rng) {
  std::uniform_int_distribution<int> u(lo, 127);
  std::vector<float> v(n);
  for (float& e : v) e = std::ldexp(static_cast<float>(u(rng)), -fp);
  return v;
}

std::size_t inputs(const Window2d& g, int batch) { return static_cast<std::size_t>(batch) * g.h * g.w * g.c; }
std::size_t outputs(const Window2d& g, int batch) { return static_cast<std::size_t>(batch) * g.oh * g.ow * g.oc; }

TEST(ConvGradient, ForwardAndWeightAndBiasGradientsEqualTheirDefinitions) {
  std::mt19937 rng(3);
  for (const Case& k : cases()) {
    const Window2d& g = k.g;
    const Weights wt{g, k.depthwise};
    const int batch = 3;
    const std::vector<float> x = uniform(inputs(g, batch), rng), b = uniform(static_cast<std::size_t>(g.oc), rng), dy = uniform(outputs(g, batch), rng);
    std::vector<float> w = uniform(wt.count(), rng);
    dputk::engine::ConvGradient conv(g, k.depthwise);
    std::vector<float> y(dy.size()), dw(w.size()), db(b.size());
    conv.forward(x.data(), w.data(), b.data(), y.data(), batch);
    conv.backward(x.data(), dy.data(), dw.data(), db.data(), batch);
    const Reference want(k, batch, x, w, b, dy);
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want.y[i], 1e-4) << k.name << ": output " << i;
    for (std::size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(dw[i], want.dw[i], 1e-4) << k.name << ": weight " << i;
    for (std::size_t i = 0; i < db.size(); ++i) ASSERT_NEAR(db[i], want.db[i], 1e-4) << k.name << ": bias " << i;
    // Without a bias: the sums alone; a second call with other weights sees them (no stale reorder).
    for (float& e : w) e = -e;
    conv.forward(x.data(), w.data(), nullptr, y.data(), batch);
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], -(want.y[i] - b[i % static_cast<std::size_t>(g.oc)]), 1e-4) << k.name << ": output " << i;
  }
}

// Inputs and weights on int8 grids, signed and non-negative inputs (oneDNN's s8 and u8 paths): the
// result is the integers' sum, scaled, plus the bias.
TEST(ConvGradient, FixedForwardEqualsTheIntegerSums) {
  std::mt19937 rng(5);
  for (const Case& k : cases())
    for (int lo : {-128, 0}) {
      const Window2d& g = k.g;
      const Weights wt{g, k.depthwise};
      const int batch = 2, fx = 5, fw = 7;
      const std::vector<float> x = on_grid(inputs(g, batch), fx, lo, rng), w = on_grid(wt.count(), fw, -128, rng);
      const std::vector<float> b = uniform(static_cast<std::size_t>(g.oc), rng), none(static_cast<std::size_t>(g.oc), 0.0f);
      dputk::engine::ConvGradient conv(g, k.depthwise);
      std::vector<float> y(outputs(g, batch));
      conv.forward_fixed(x.data(), fx, w.data(), fw, b.data(), y.data(), batch);
      const Reference want(k, batch, x, w, b, y);
      for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want.y[i], 1e-5 * std::abs(want.y[i]) + 1e-6) << k.name << " from " << lo << ": output " << i;
      conv.forward_fixed(x.data(), fx, w.data(), fw, nullptr, y.data(), batch);
      const Reference sums(k, batch, x, w, none, y);
      for (std::size_t i = 0; i < y.size(); ++i)  // a multiple of 2^-12 below 2^24 of them: exact
        ASSERT_EQ(y[i], static_cast<float>(sums.y[i])) << k.name << " from " << lo << ": output " << i;
    }
  // Sums beyond float32's 24 bits, with odd low bits: 2048 products of ±127·127 and one of 1. A float32
  // accumulation loses the 1; the integer sum keeps it until the one final rounding.
  const Case big{"1x1, 2048 inputs", geometry(1, 1, 2048, 16, 1, 1, 1, 0, 0, 1, 1), false};
  std::vector<float> x(2048, 127.0f), w(16 * 2048, 127.0f), y(16);
  x[7] = 1.0f;
  for (int o = 0; o < 16; ++o) w[static_cast<std::size_t>(o) * 2048 + 7] = static_cast<float>(1 + 2 * o);
  dputk::engine::ConvGradient conv(big.g, false);
  conv.forward_fixed(x.data(), 0, w.data(), 0, nullptr, y.data(), 1);
  for (int o = 0; o < 16; ++o) {
    const std::int64_t acc = std::int64_t{2047} * 127 * 127 + (1 + 2 * o);  // 33,016,064 + odd: rounds to a multiple of 2
    ASSERT_EQ(y[static_cast<std::size_t>(o)], static_cast<float>(acc)) << "output " << o;
  }
}

// The bfloat16 gradient: inputs on an int8 grid are exact, the output gradient is rounded to 8
// significant bits, so each weight's gradient is within 2^-8·Σ|dy·x| of its definition (the bias's
// within 2^-8·Σ|dy|).
TEST(ConvGradient, Bfloat16GradientIsWithinItsRounding) {
  std::mt19937 rng(7);
  for (const Case& k : cases()) {
    const Window2d& g = k.g;
    const Weights wt{g, k.depthwise};
    dputk::engine::ConvGradient conv(g, k.depthwise, dputk::engine::ConvGradient::Gradient::BF16_WHERE_NATIVE);
    if (!conv.bf16_gradient()) GTEST_SKIP() << "this CPU has no native bfloat16 (AVX512-BF16): the gradient is float32's, tested above";
    const int batch = 3;
    const std::vector<float> x = on_grid(inputs(g, batch), 6, -128, rng), dy = uniform(outputs(g, batch), rng);
    const std::vector<float> w = uniform(wt.count(), rng), b(static_cast<std::size_t>(g.oc), 0.0f);
    std::vector<float> dw(w.size()), db(b.size());
    conv.backward(x.data(), dy.data(), dw.data(), db.data(), batch);
    const Reference want(k, batch, x, w, b, dy);
    double err = 0.0;
    for (std::size_t i = 0; i < dw.size(); ++i) {
      ASSERT_LE(std::abs(dw[i] - want.dw[i]), std::ldexp(want.dw_abs[i], -8) + 1e-6) << k.name << ": weight " << i;
      err = std::max(err, std::abs(dw[i] - want.dw[i]));
    }
    EXPECT_GT(err, 0.0) << k.name << ": no rounding at all (not bfloat16?)";
    for (std::size_t i = 0; i < db.size(); ++i) ASSERT_LE(std::abs(db[i] - want.db[i]), std::ldexp(want.db_abs[i], -8) + 1e-6) << k.name << ": bias " << i;
  }
}

}  // namespace
