// engine::ConvGradient (oneDNN forward and backward-weights, fast finetune's layer) against plain loops:
// the forward against the engine's reference convolution, the weights' and bias's gradients against
// their definition (∂L/∂w[o,i,j,c] = Σ over images and output positions of dy · the input it multiplied).
// Strided, padded (asymmetric), dilated, grouped, depthwise with a multiplier, and a matmul as a 1×1
// convolution of a 1×1 image.
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

TEST(ConvGradient, ForwardAndWeightAndBiasGradientsEqualTheirDefinitions) {
  const std::vector<Case> cases{
      {"3x3 stride 2, padding 1/0", geometry(9, 8, 5, 6, 3, 2, 1, 1, 0, 1, 1), false},
      {"1x1", geometry(5, 5, 7, 4, 1, 1, 1, 0, 0, 1, 1), false},
      {"3x3 dilation 2, padding 2", geometry(9, 9, 4, 3, 3, 1, 2, 2, 2, 1, 1), false},
      {"grouped (2), 3x3", geometry(6, 7, 6, 4, 3, 1, 1, 1, 1, 2, 1), false},
      {"depthwise 3x3 stride 2", geometry(8, 8, 5, 5, 3, 2, 1, 1, 1, 1, 1), true},
      {"depthwise, multiplier 2", geometry(6, 6, 3, 6, 3, 1, 1, 1, 1, 1, 2), true},
      {"matmul as 1x1 of 1x1", geometry(1, 1, 11, 9, 1, 1, 1, 0, 0, 1, 1), false},
  };
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (const Case& k : cases) {
    const Window2d& g = k.g;
    const Weights wt{g, k.depthwise};
    const int batch = 3;
    std::vector<float> x(static_cast<std::size_t>(batch) * g.h * g.w * g.c), w(wt.count()), b(g.oc), dy(static_cast<std::size_t>(batch) * g.oh * g.ow * g.oc);
    for (auto* v : {&x, &w, &b, &dy})
      for (float& e : *v) e = u(rng);
    dputk::engine::ConvGradient conv(g, k.depthwise);
    std::vector<float> y(dy.size()), dw(w.size()), db(b.size());
    conv.forward(x.data(), w.data(), b.data(), y.data(), batch);
    conv.backward(x.data(), dy.data(), dw.data(), db.data(), batch);
    std::vector<double> want_y(y.size()), want_dw(w.size()), want_db(b.size());
    products(g, wt, batch, [&](int n, int oy, int ox, int o, int i, int j, int c, std::int64_t at) {
      const std::size_t out = ((static_cast<std::size_t>(n) * g.oh + oy) * g.ow + ox) * g.oc + o;
      if (at < 0) return;
      want_y[out] += static_cast<double>(w[wt.index(o, i, j, c)]) * x[static_cast<std::size_t>(at)];
      want_dw[wt.index(o, i, j, c)] += static_cast<double>(dy[out]) * x[static_cast<std::size_t>(at)];
    });
    for (std::size_t i = 0; i < y.size(); ++i) {
      want_y[i] += b[i % static_cast<std::size_t>(g.oc)];
      want_db[i % static_cast<std::size_t>(g.oc)] += dy[i];
    }
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want_y[i], 1e-4) << k.name << ": output " << i;
    for (std::size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(dw[i], want_dw[i], 1e-4) << k.name << ": weight " << i;
    for (std::size_t i = 0; i < db.size(); ++i) ASSERT_NEAR(db[i], want_db[i], 1e-4) << k.name << ": bias " << i;
    // Without a bias: the sums alone; a second call with other weights sees them (no stale reorder).
    for (float& e : w) e = -e;
    conv.forward(x.data(), w.data(), nullptr, y.data(), batch);
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], -(want_y[i] - b[i % static_cast<std::size_t>(g.oc)]), 1e-4) << k.name << ": output " << i;
  }
}

}  // namespace
