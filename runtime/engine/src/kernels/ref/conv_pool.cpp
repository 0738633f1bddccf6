// Reference window ops: convolution (grouped and depthwise) and pooling, NHWC.
#include <algorithm>
#include <limits>

#include "dputk/engine/float_ref_kernels.hpp"
#include "dputk/engine/window_loop.hpp"

namespace dputk::engine::ref {

void conv2d(const float* in, const float* weights, const float* bias, float* out, const Window2d& g,
            const ActivationParams& act) {
  const int icg = g.c / g.group, ocg = g.oc / g.group;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox) {
        float* dst = out + ((static_cast<std::int64_t>(n) * g.oh + oy) * g.ow + ox) * g.oc;
        for (int o = 0; o < g.oc; ++o) {
          double acc = bias ? bias[o] : 0.0;
          for_each_tap(g, n, oy, ox, [&](std::int64_t pixel, int ky, int kx) {
            const float* src = in + pixel * g.c + (o / ocg) * icg;
            const float* wt = weights + ((static_cast<std::int64_t>(o) * g.kh + ky) * g.kw + kx) * icg;
            for (int i = 0; i < icg; ++i) acc += static_cast<double>(src[i]) * wt[i];
          });
          dst[o] = act.apply(static_cast<float>(acc));
        }
      }
}

void depthwise_conv2d(const float* in, const float* weights, const float* bias, float* out, const Window2d& g,
                      const ActivationParams& act) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int o = 0; o < g.oc; ++o) {
          const int ch = o / g.multiplier, m = o % g.multiplier;
          double acc = bias ? bias[o] : 0.0;
          for_each_tap(g, n, oy, ox, [&](std::int64_t pixel, int ky, int kx) {
            acc += static_cast<double>(in[pixel * g.c + ch]) * weights[((static_cast<std::int64_t>(m) * g.kh + ky) * g.kw + kx) * g.c + ch];
          });
          out[((static_cast<std::int64_t>(n) * g.oh + oy) * g.ow + ox) * g.oc + o] = act.apply(static_cast<float>(acc));
        }
}

void maxpool2d(const float* in, float* out, const Window2d& g) {
  reduce_windows(
      g, [] { return -std::numeric_limits<float>::infinity(); }, [&](float& m, std::int64_t i) { m = std::max(m, in[i]); },
      [&](std::int64_t o, float m, int) { out[o] = m; });
}

void avgpool2d(const float* in, float* out, const Window2d& g, bool count_include_pad) {
  reduce_windows(
      g, [] { return 0.0; }, [&](double& sum, std::int64_t i) { sum += in[i]; },
      [&](std::int64_t o, double sum, int valid) {
        out[o] = static_cast<float>(sum / (count_include_pad ? g.kh * g.kw : std::max(valid, 1)));
      });
}

}  // namespace dputk::engine::ref
