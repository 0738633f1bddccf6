#include "dputk/quantizer/bias_correction.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <memory>

#include "dputk/quantizer/const_data.hpp"
#include "dputk/dpu/fix_math.hpp"
#include "dputk/engine/op_geometry.hpp"

namespace dputk {

namespace {

using IV = std::vector<std::int32_t>;

// The mean over output positions of a convolution is linear in the input: mean_p conv(x, ΔW)[c] =
// Σ_{tap} ΔW[c, tap] · mean_p x[p + tap]. So per layer only the mean of each input tap (ky, kx, ic)
// over the output positions is accumulated — no extra convolution.
struct Layer {
  const xir::Op* op;
  const xir::Op* input;  // producer of the layer's input (a fix or layout op)
  xir::Op* bias_const;
  int channels;
  bool fc = false;
  engine::ref::Window2d g;           // conv geometry (n unused)
  std::vector<float> delta;          // W_q − W in XIR layout (OHWI, depthwise [m,KH,KW,C], FC [out,in])
  std::vector<double> tap_sum;       // conv: [KH, KW, C]; FC: [in]
  double positions = 0;              // output positions (conv: N·OH·OW; FC: N) summed over
};

// Input rows (or columns) that kernel row k reads over all output positions, padding excluded.
std::vector<int> tap_lines(int k, int out, int stride, int pad, int dilation, int size) {
  std::vector<int> lines;
  for (int o = 0; o < out; ++o) {
    const int i = o * stride - pad + k * dilation;
    if (i >= 0 && i < size) lines.push_back(i);
  }
  return lines;
}

void accumulate_taps(Layer& l, const engine::FloatTensor& x) {
  const int n = x.shape[0];
  if (l.fc) {
    const std::size_t k = l.tap_sum.size();
    for (int b = 0; b < n; ++b)
      for (std::size_t i = 0; i < k; ++i) l.tap_sum[i] += x.data[b * k + i];
    l.positions += n;
    return;
  }
  // The taps' windows are products of row and column sets, so the sum is separable: first, per input
  // row y and kernel column kx, the sum over the columns kx reads (all images); then, per kernel row,
  // the sum of those over the rows it reads. About KW passes over the input instead of KH·KW.
  const engine::ref::Window2d& g = l.g;
  const int c = g.c;
  std::vector<std::vector<int>> cols(static_cast<std::size_t>(g.kw));
  for (int kx = 0; kx < g.kw; ++kx) cols[kx] = tap_lines(kx, g.ow, g.sw, g.pad_left, g.dw, g.w);
  std::vector<double> row_sum(static_cast<std::size_t>(g.h) * g.kw * c, 0.0);  // [y][kx][c]
#pragma omp parallel for schedule(static)
  for (int y = 0; y < g.h; ++y) {
    std::vector<float> part(static_cast<std::size_t>(c));
    for (int kx = 0; kx < g.kw; ++kx) {
      double* dst = row_sum.data() + (static_cast<std::size_t>(y) * g.kw + kx) * c;
      for (int b = 0; b < n; ++b) {
        std::fill(part.begin(), part.end(), 0.0f);
        const float* row = x.data.data() + (static_cast<std::size_t>(b) * g.h + y) * g.w * c;
        for (int ix : cols[kx]) {
          const float* src = row + static_cast<std::size_t>(ix) * c;
          for (int i = 0; i < c; ++i) part[i] += src[i];
        }
        for (int i = 0; i < c; ++i) dst[i] += part[i];
      }
    }
  }
  for (int ky = 0; ky < g.kh; ++ky)
    for (int iy : tap_lines(ky, g.oh, g.sh, g.pad_top, g.dh, g.h))
      for (int kx = 0; kx < g.kw; ++kx) {
        const double* src = row_sum.data() + (static_cast<std::size_t>(iy) * g.kw + kx) * c;
        double* dst = l.tap_sum.data() + (static_cast<std::size_t>(ky) * g.kw + kx) * c;
        for (int i = 0; i < c; ++i) dst[i] += src[i];
      }
  l.positions += static_cast<double>(n) * g.oh * g.ow;
}

// mean_p conv(x, ΔW)[o] from the tap means.
std::vector<double> mean_error(const Layer& l) {
  std::vector<double> err(static_cast<std::size_t>(l.channels), 0.0);
  if (l.fc) {
    const std::size_t k = l.tap_sum.size();
    for (int o = 0; o < l.channels; ++o)
      for (std::size_t i = 0; i < k; ++i) err[o] += l.delta[o * k + i] * l.tap_sum[i];
  } else {
    const auto& g = l.g;
    const bool depthwise = l.op->get_type() == "depthwise-conv2d";
    const int icg = depthwise ? 1 : g.c / g.group, ocg = depthwise ? 1 : g.oc / g.group;
    for (int o = 0; o < l.channels; ++o)
      for (int ky = 0; ky < g.kh; ++ky)
        for (int kx = 0; kx < g.kw; ++kx) {
          const double* taps = l.tap_sum.data() + (static_cast<std::size_t>(ky) * g.kw + kx) * g.c;
          if (depthwise) {
            const int ch = o / g.multiplier, m = o % g.multiplier;
            err[o] += l.delta[((static_cast<std::size_t>(m) * g.kh + ky) * g.kw + kx) * g.c + ch] * taps[ch];
          } else {
            const float* w = l.delta.data() + ((static_cast<std::size_t>(o) * g.kh + ky) * g.kw + kx) * icg;
            const double* t = taps + (o / ocg) * icg;
            for (int i = 0; i < icg; ++i) err[o] += w[i] * t[i];
          }
        }
  }
  for (auto& e : err) e /= l.positions;
  return err;
}

std::vector<float> delta(const xir::Op* quantized_fix, const xir::Graph& prepared) {
  const xir::Op* qc = quantized_fix->get_input_op("input");
  auto wq = const_values(*qc);
  auto w = const_values(*prepared.get_op(qc->get_name()));
  for (std::size_t i = 0; i < wq.size(); ++i) wq[i] -= w[i];
  return wq;
}

}  // namespace

struct BiasCorrection::Impl {
  std::map<const xir::Op*, Layer> layers;
  std::map<const xir::Op*, std::vector<const xir::Op*>> readers;  // input producer → layers reading it
};

BiasCorrection::BiasCorrection(const QuantGraph& qg, const xir::Graph& prepared) : impl_(std::make_unique<Impl>()) {
  for (xir::Op* op : qg.graph->topological_sort()) {
    const std::string& t = op->get_type();
    if (t != "conv2d" && t != "depthwise-conv2d" && t != "matmul") continue;
    const xir::Op* bfix = op->get_input_op("bias");
    const xir::Op* wfix = t == "matmul" ? op->get_input_op("input", 1) : op->get_input_op("weights");
    if (!bfix || bfix->get_type() != "fix" || !wfix || wfix->get_type() != "fix") continue;
    xir::Op* bconst = bfix->get_input_op("input");
    if (!prepared.get_op(bconst->get_name()) || !prepared.get_op(wfix->get_input_op("input")->get_name())) continue;
    Layer l;
    l.op = op;
    l.input = op->get_input_op("input", 0);
    l.bias_const = bconst;
    l.channels = static_cast<int>(bconst->get_output_tensor()->get_element_num());
    if (t == "matmul") {
      if (!op->get_attr<bool>("transpose_b")) continue;
      l.fc = true;
      l.tap_sum.assign(static_cast<std::size_t>(wfix->get_output_tensor()->get_shape()[1]), 0.0);
    } else {
      l.g = engine::window_of(*op, op->get_input_tensor("input")->get_shape(), op->get_output_tensor()->get_shape(),
                              wfix->get_output_tensor()->get_shape());
      l.tap_sum.assign(static_cast<std::size_t>(l.g.kh) * l.g.kw * l.g.c, 0.0);
    }
    impl_->readers[l.input].push_back(op);
    impl_->layers.emplace(op, std::move(l));
  }
}

BiasCorrection::~BiasCorrection() = default;

void BiasCorrection::observe(const xir::Op* op, const engine::FloatTensor& value) {
  auto it = impl_->readers.find(op);
  if (it == impl_->readers.end()) return;
  for (const xir::Op* layer : it->second) accumulate_taps(impl_->layers.at(layer), value);
}

int BiasCorrection::apply(const xir::Graph& prepared, const std::set<std::string>& skip) {
  int corrected = 0;
  for (auto& [op, l] : impl_->layers) {
    if (skip.count(op->get_name()) || l.positions == 0) continue;
    const xir::Op* wfix = op->get_type() == "matmul" ? op->get_input_op("input", 1) : op->get_input_op("weights");
    l.delta = delta(wfix, prepared);
    auto b = const_values(*prepared.get_op(l.bias_const->get_name()));
    const auto err = mean_error(l);
    const dpu::FixSpec f{op->get_input_op("bias")->get_attr<std::int32_t>("fix_point"), 8, true, dpu::RoundMode::STD_ROUND};
    for (int c = 0; c < l.channels; ++c) b[c] = dpu::fake_quantize(static_cast<float>(b[c] - err[c]), f);
    set_const_values(*l.bias_const, b);
    ++corrected;
  }
  return corrected;
}

}  // namespace dputk
