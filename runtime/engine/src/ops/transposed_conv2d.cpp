// transposed-conv2d (float) and transposed-conv2d-fix (DPU integer arithmetic). XIR defines them as a
// convolution of the stride-dilated input, padded by kernel − 1 − pad, with filter[o, ky, kx, c] (OHWI,
// so a framework's transposed-convolution kernel is stored flipped in height and width). Computed here
// as the equivalent scatter: every input pixel adds kernel × weights into the output —
// out[oy, ox, o] += x[iy, ix, c] · w[o, kh − 1 − ky, kw − 1 − kx, c] with oy = iy·stride_h + ky − pad_top
// (NHWC; dilation 1, the only one the importer and the DPU take). The fix form
// accumulates exactly in 64 bits and rounds like a convolution (dpu::conv_output: bias alignment,
// shift_cut, nonlinear). One scatter routine serves both kernels.
#include "conv_common.hpp"
#include "dputk/dpu/op_error.hpp"

namespace dputk::engine {

namespace {

struct Geometry {
  int n, ih, iw, c, oh, ow, o, kh, kw, sh, sw, dh, dw, top, left;
};

Geometry geometry_of(const xir::Op& op, const std::vector<std::int32_t>& wshape) {
  using IV = std::vector<std::int32_t>;
  const IV in = op.get_input_tensor("input")->get_shape(), out = op.get_output_tensor()->get_shape();
  const IV k = op.get_attr<IV>("kernel"), s = op.get_attr<IV>("stride");
  const IV d = op.get_attr_or<IV>("dilation", {1, 1}), p = op.get_attr_or<IV>("pad", {0, 0, 0, 0});
  if (in.size() != 4 || wshape.size() != 4 || wshape[3] != in[3] || wshape[0] != out[3])
    dpu::op_fail(op, "weights must be [out channels, kh, kw, in channels] of a NHWC input (grouped transposed convolutions are not supported)");
  if (d != IV{1, 1}) dpu::op_fail(op, "dilated transposed convolutions are not supported");
  return {in[0], in[1], in[2], in[3], out[1], out[2], out[3], k[1], k[0], s[1], s[0], d[1], d[0], p[2], p[0]};
}

// acc[(n, oy, ox, o)] += x · w over every input pixel and tap (T: float or std::int64_t).
template <typename T, typename X, typename W>
void scatter(const X* x, const W* w, const Geometry& g, std::vector<T>& acc) {
  acc.assign(static_cast<std::size_t>(g.n) * g.oh * g.ow * g.o, T{0});
  for (int b = 0; b < g.n; ++b)
    for (int iy = 0; iy < g.ih; ++iy)
      for (int ix = 0; ix < g.iw; ++ix) {
        const X* px = x + ((static_cast<std::size_t>(b) * g.ih + iy) * g.iw + ix) * g.c;
        for (int ky = 0; ky < g.kh; ++ky) {
          const int oy = iy * g.sh + ky * g.dh - g.top;
          if (oy < 0 || oy >= g.oh) continue;
          for (int kx = 0; kx < g.kw; ++kx) {
            const int ox = ix * g.sw + kx * g.dw - g.left;
            if (ox < 0 || ox >= g.ow) continue;
            T* pa = acc.data() + ((static_cast<std::size_t>(b) * g.oh + oy) * g.ow + ox) * g.o;
            for (int o = 0; o < g.o; ++o) {
              const W* pw = w + ((static_cast<std::size_t>(o) * g.kh + (g.kh - 1 - ky)) * g.kw + (g.kw - 1 - kx)) * g.c;
              T sum{0};
              for (int ci = 0; ci < g.c; ++ci) sum += static_cast<T>(px[ci]) * static_cast<T>(pw[ci]);
              pa[o] += sum;
            }
          }
        }
      }
}

// The constant weights and (optional) bias as the executor decoded them (FloatTensor or DpuTensor).
template <typename T, typename Lookup>
std::pair<const T*, const T*> params_of(const xir::Op& op, const Lookup& constants) {
  const xir::Op* wop = op.get_input_op("weights");
  const T* w = wop ? constants(wop) : nullptr;
  if (!w) dpu::op_fail(op, "weights must be constant");
  const xir::Op* bop = op.get_input_op("bias");
  const T* b = bop ? constants(bop) : nullptr;
  if (bop && !b) dpu::op_fail(op, "bias must be constant");
  return {w, b};
}

}  // namespace

void register_transposed_conv2d(OpRegistry& r) {
  r.add_float("transposed-conv2d", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    const auto params = params_of<FloatTensor>(a.op, a.constants);
    const FloatTensor *w = params.first, *b = params.second;
    const Geometry g = geometry_of(a.op, w->shape);
    const std::vector<float> weights = w->data, bias = b ? b->data : std::vector<float>(static_cast<std::size_t>(g.o), 0.0f);
    return float_lambda([g, weights, bias](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      std::vector<float> acc;
      scatter(in[0]->data.data(), weights.data(), g, acc);
      for (std::size_t i = 0; i < acc.size(); ++i) out.data[i] = acc[i] + bias[i % static_cast<std::size_t>(g.o)];
    });
  });
  r.add_fix("transposed-conv2d-fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    const auto params = params_of<DpuTensor>(a.op, a.constants);
    const DpuTensor *w = params.first, *b = params.second;
    const Geometry g = geometry_of(a.op, w->shape);
    const dpu::ConvShift shift = ops::conv_shift_of(a.op, *w, b);
    return [g, w, b, shift](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      std::vector<std::int64_t> acc;
      scatter(in[0]->data.data(), w->data.data(), g, acc);
      for (std::size_t i = 0; i < acc.size(); ++i)
        out.data[i] = dpu::conv_output(acc[i], b ? b->data[i % static_cast<std::size_t>(g.o)] : 0, shift);
    };
  });
}

}  // namespace dputk::engine
