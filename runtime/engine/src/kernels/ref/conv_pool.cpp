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
          const int grp = o / ocg;
          double acc = bias ? bias[o] : 0.0;
          for (int ky = 0; ky < g.kh; ++ky) {
            const int iy = oy * g.sh - g.pad_top + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (int kx = 0; kx < g.kw; ++kx) {
              const int ix = ox * g.sw - g.pad_left + kx * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const float* src = in + ((static_cast<std::int64_t>(n) * g.h + iy) * g.w + ix) * g.c + grp * icg;
              const float* wt = weights + ((static_cast<std::int64_t>(o) * g.kh + ky) * g.kw + kx) * icg;
              for (int i = 0; i < icg; ++i) acc += static_cast<double>(src[i]) * wt[i];
            }
          }
          dst[o] = act.apply(static_cast<float>(acc));
        }
      }
}

void depthwise_conv2d(const float* in, const float* weights, const float* bias, float* out, const Window2d& g,
                      const ActivationParams& act) {
  const int mult = g.multiplier;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int ch = 0; ch < g.c; ++ch)
          for (int m = 0; m < mult; ++m) {
            const int o = ch * mult + m;
            double acc = bias ? bias[o] : 0.0;
            for (int ky = 0; ky < g.kh; ++ky) {
              const int iy = oy * g.sh - g.pad_top + ky * g.dh;
              if (iy < 0 || iy >= g.h) continue;
              for (int kx = 0; kx < g.kw; ++kx) {
                const int ix = ox * g.sw - g.pad_left + kx * g.dw;
                if (ix < 0 || ix >= g.w) continue;
                acc += static_cast<double>(in[((static_cast<std::int64_t>(n) * g.h + iy) * g.w + ix) * g.c + ch]) *
                       weights[((static_cast<std::int64_t>(m) * g.kh + ky) * g.kw + kx) * g.c + ch];
              }
            }
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
