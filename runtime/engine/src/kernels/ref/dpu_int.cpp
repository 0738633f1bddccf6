// Reference DPU integer kernels.
#include <algorithm>
#include <limits>

#include "dputk/engine/dpu_ref_kernels.hpp"
#include "dputk/engine/window_loop.hpp"

namespace dputk::engine::dpu_ref {

void conv2d_acc(const std::int8_t* in, const std::int8_t* weights, std::int32_t* acc, const ref::Window2d& g, bool depthwise) {
  const int icg = depthwise ? 1 : g.c / g.group, ocg = depthwise ? 1 : g.oc / g.group;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int o = 0; o < g.oc; ++o) {
          std::int64_t a = 0;
          ref::for_each_tap(g, n, oy, ox, [&](std::int64_t pixel, int ky, int kx) {
            const std::int8_t* src = in + pixel * g.c;
            if (depthwise) {
              const int ch = o / g.multiplier, m = o % g.multiplier;
              a += static_cast<std::int32_t>(src[ch]) * weights[((static_cast<std::int64_t>(m) * g.kh + ky) * g.kw + kx) * g.c + ch];
            } else {
              const std::int8_t* wt = weights + ((static_cast<std::int64_t>(o) * g.kh + ky) * g.kw + kx) * icg;
              const std::int8_t* s = src + (o / ocg) * icg;
              for (int i = 0; i < icg; ++i) a += static_cast<std::int32_t>(s[i]) * wt[i];
            }
          });
          acc[((static_cast<std::int64_t>(n) * g.oh + oy) * g.ow + ox) * g.oc + o] = static_cast<std::int32_t>(a);
        }
}

void conv2d(const std::int8_t* in, const std::int8_t* weights, const std::int8_t* bias, std::int8_t* out, const ref::Window2d& g,
            bool depthwise, const dpu::ConvShift& shift) {
  std::vector<std::int32_t> acc(static_cast<std::size_t>(g.n) * g.oh * g.ow * g.oc);
  conv2d_acc(in, weights, acc.data(), g, depthwise);
  const std::int64_t total = static_cast<std::int64_t>(acc.size());
  for (std::int64_t i = 0; i < total; ++i) out[i] = dpu::conv_output(acc[i], bias ? bias[i % g.oc] : 0, shift);
}

void maxpool(const std::int8_t* in, std::int8_t* out, const ref::Window2d& g, int fi, int fo) {
  ref::reduce_windows(
      g, [] { return -128; }, [&](int& m, std::int64_t i) { m = std::max<int>(m, in[i]); },
      [&](std::int64_t o, int m, int) { out[o] = dpu::requantize(m, fi, fo); });
}

void avgpool(const std::int8_t* in, std::int8_t* out, const ref::Window2d& g, int fi, int fo) {
  const dpu::AvgFactor f = dpu::avg_pool_factor(g.kh, g.kw);
  // Zero padding counts: the DPU multiplies the window sum by N/2^M for the full kernel area.
  ref::reduce_windows(
      g, [] { return std::int64_t{0}; }, [&](std::int64_t& sum, std::int64_t i) { sum += in[i]; },
      [&](std::int64_t o, std::int64_t sum, int) { out[o] = dpu::avg_pool_output(sum, f, fi, fo); });
}

void eltwise_add(const std::vector<const std::int8_t*>& ins, const std::vector<int>& fix_points, std::int64_t count,
                 std::int8_t* out, int fo, bool relu) {
  const int fmin = *std::min_element(fix_points.begin(), fix_points.end());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    std::int64_t t = 0;
    for (std::size_t k = 0; k < ins.size(); ++k) t += dpu::eltwise_term(ins[k][i], fix_points[k], fmin);
    out[i] = dpu::eltwise_output(t, fmin, fo, relu);
  }
}

}  // namespace dputk::engine::dpu_ref
