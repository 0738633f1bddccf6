#include "dputk/bias_correction.hpp"

#include <map>
#include <set>
#include <memory>

#include "dputk/batch.hpp"
#include "dputk/const_data.hpp"
#include "dputk/engine/fix_math.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/engine/op_geometry.hpp"
#include "dputk/engine/window_loop.hpp"
#include "dputk/progress.hpp"

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
  int bias_fix_point;
  int channels;
  bool fc = false;
  engine::ref::Window2d g;           // conv geometry (n unused)
  std::vector<float> delta;          // W_q − W in XIR layout (OHWI, depthwise [m,KH,KW,C], FC [out,in])
  std::vector<double> tap_sum;       // conv: [KH, KW, C]; FC: [in]
  double positions = 0;              // output positions (conv: N·OH·OW; FC: N) summed over
};

void accumulate_taps(Layer& l, const engine::FloatTensor& x) {
  const int n = x.shape[0];
  if (l.fc) {
    const std::size_t k = l.tap_sum.size();
    for (int b = 0; b < n; ++b)
      for (std::size_t i = 0; i < k; ++i) l.tap_sum[i] += x.data[b * k + i];
    l.positions += n;
    return;
  }
  engine::ref::Window2d g = l.g;
  g.n = n;
  const int c = g.c;
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        engine::ref::for_each_tap(g, b, oy, ox, [&](std::int64_t pixel, int ky, int kx) {
          const float* src = x.data.data() + pixel * c;
          double* dst = l.tap_sum.data() + (static_cast<std::size_t>(ky) * g.kw + kx) * c;
          for (int i = 0; i < c; ++i) dst[i] += src[i];
        });
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

int correct_biases(QuantGraph& qg, const xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& indices,
                   const Preprocess& preprocess, int batch_size, const std::set<std::string>& skip) {
  std::map<const xir::Op*, Layer> layers;
  std::map<const xir::Op*, std::vector<const xir::Op*>> readers;  // input producer → layers reading it
  for (xir::Op* op : qg.graph->topological_sort()) {
    const std::string& t = op->get_type();
    if ((t != "conv2d" && t != "depthwise-conv2d" && t != "matmul") || skip.count(op->get_name())) continue;
    const xir::Op* bfix = op->get_input_op("bias");
    const xir::Op* wfix = t == "matmul" ? op->get_input_op("input", 1) : op->get_input_op("weights");
    if (!bfix || bfix->get_type() != "fix" || !wfix || wfix->get_type() != "fix") continue;
    xir::Op* bconst = bfix->get_input_op("input");
    if (!prepared.get_op(bconst->get_name()) || !prepared.get_op(wfix->get_input_op("input")->get_name())) continue;
    Layer l;
    l.op = op;
    l.input = op->get_input_op("input", 0);
    l.bias_const = bconst;
    l.bias_fix_point = bfix->get_attr<std::int32_t>("fix_point");
    l.channels = static_cast<int>(bconst->get_output_tensor()->get_element_num());
    l.delta = delta(wfix, prepared);
    if (t == "matmul") {
      if (!op->get_attr<bool>("transpose_b")) continue;
      l.fc = true;
      l.tap_sum.assign(static_cast<std::size_t>(wfix->get_output_tensor()->get_shape()[1]), 0.0);
    } else {
      l.g = engine::window_of(*op, op->get_input_tensor("input")->get_shape(), op->get_output_tensor()->get_shape(),
                              wfix->get_output_tensor()->get_shape());
      l.tap_sum.assign(static_cast<std::size_t>(l.g.kh) * l.g.kw * l.g.c, 0.0);
    }
    readers[l.input].push_back(op);
    layers.emplace(op, std::move(l));
  }
  if (layers.empty()) return 0;
  engine::FloatExecutor exec(*qg.graph);
  auto observe = [&](const xir::Op* op, engine::FloatTensor& v) {
    auto it = readers.find(op);
    if (it == readers.end()) return;
    for (const xir::Op* layer : it->second) accumulate_taps(layers.at(layer), v);
  };
  Progress progress("bias correction", indices.size());
  for (std::size_t off = 0; off < indices.size(); off += static_cast<std::size_t>(batch_size)) {
    std::vector<std::size_t> ids(indices.begin() + static_cast<long>(off),
                                 indices.begin() + static_cast<long>(std::min(indices.size(), off + static_cast<std::size_t>(batch_size))));
    Batch b = make_batch(data, ids, preprocess);
    exec.run({&b.input}, observe);
    progress.advance(ids.size());
  }
  progress.finish();
  for (auto& [op, l] : layers) {
    auto b = const_values(*prepared.get_op(l.bias_const->get_name()));
    const auto err = mean_error(l);
    const engine::FixSpec f{l.bias_fix_point, 8, true, engine::RoundMode::STD_ROUND};
    for (int c = 0; c < l.channels; ++c) b[c] = engine::fake_quantize(static_cast<float>(b[c] - err[c]), f);
    set_const_values(*l.bias_const, b);
  }
  return static_cast<int>(layers.size());
}

}  // namespace dputk
