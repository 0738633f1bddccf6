#include "dputk/bias_correction.hpp"

#include <map>
#include <memory>

#include "dputk/batch.hpp"
#include "dputk/const_data.hpp"
#include "dputk/engine/conv_kernel.hpp"
#include "dputk/engine/fix_math.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/engine/op_geometry.hpp"
#include "dputk/progress.hpp"

namespace dputk {

namespace {

using IV = std::vector<std::int32_t>;

struct Layer {
  const xir::Op* op;
  const xir::Op* input;  // producer of the layer's input (a fix or layout op)
  xir::Op* bias_const;
  int bias_fix_point;
  int channels;
  std::unique_ptr<engine::FloatConv> delta_conv;  // conv with W_q − W, no bias
  std::vector<float> delta_fc;                    // matmul: W_q − W as [out, in]
  int fc_in = 0;
  std::vector<double> sum;
  double count = 0;
};

std::vector<float> delta(const xir::Op* quantized_fix, const xir::Graph& prepared) {
  const xir::Op* qc = quantized_fix->get_input_op("input");
  auto wq = const_values(*qc);
  auto w = const_values(*prepared.get_op(qc->get_name()));
  for (std::size_t i = 0; i < wq.size(); ++i) wq[i] -= w[i];
  return wq;
}

}  // namespace

int correct_biases(QuantGraph& qg, const xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& indices,
                   const Preprocess& preprocess, int batch_size) {
  std::map<const xir::Op*, Layer> layers;
  std::map<const xir::Op*, std::vector<const xir::Op*>> readers;  // input producer → layers reading it
  for (xir::Op* op : qg.graph->topological_sort()) {
    const std::string& t = op->get_type();
    if (t != "conv2d" && t != "depthwise-conv2d" && t != "matmul") continue;
    const xir::Op* bfix = op->get_input_op("bias");
    const xir::Op* wfix = t == "matmul" ? op->get_input_op("input", 1) : op->get_input_op("weights");
    if (!bfix || bfix->get_type() != "fix" || !wfix || wfix->get_type() != "fix") continue;
    xir::Op* bconst = bfix->get_input_op("input");
    if (!prepared.get_op(bconst->get_name()) || !prepared.get_op(wfix->get_input_op("input")->get_name())) continue;
    Layer l{op, op->get_input_op("input", 0), bconst, bfix->get_attr<std::int32_t>("fix_point"),
            static_cast<int>(bconst->get_output_tensor()->get_element_num()), nullptr, {}, 0, {}, 0};
    auto dw = delta(wfix, prepared);
    if (t == "matmul") {
      const IV& ws = wfix->get_output_tensor()->get_shape();
      if (!op->get_attr<bool>("transpose_b")) continue;
      l.delta_fc = dw;
      l.fc_in = ws[1];
    } else {
      const bool depthwise = t == "depthwise-conv2d";
      const auto g = engine::window_of(*op, op->get_input_tensor("input")->get_shape(), op->get_output_tensor()->get_shape(),
                                       wfix->get_output_tensor()->get_shape());
      l.delta_conv = std::make_unique<engine::FloatConv>(g, depthwise, dw.data(), nullptr);
    }
    l.sum.assign(static_cast<std::size_t>(l.channels), 0.0);
    readers[l.input].push_back(op);
    layers.emplace(op, std::move(l));
  }
  if (layers.empty()) return 0;
  engine::FloatExecutorOptions eo;
  eo.fuse = false;
  engine::FloatExecutor exec(*qg.graph, eo);
  std::map<const xir::Op*, engine::FloatTensor> stash;
  auto observe = [&](const xir::Op* op, engine::FloatTensor& v) {
    if (readers.count(op)) stash[op] = v;
    auto it = layers.find(op);
    if (it == layers.end()) return;
    Layer& l = it->second;
    const engine::FloatTensor& x = stash.at(l.input);
    const int n = x.shape[0];
    std::vector<float> err(static_cast<std::size_t>(v.numel()));
    if (l.delta_conv) l.delta_conv->run(x.data.data(), err.data(), n);
    else engine::ref::matmul(x.data.data(), l.delta_fc.data(), nullptr, err.data(), n, l.fc_in, l.channels, true);
    for (std::size_t i = 0; i < err.size(); ++i) l.sum[i % l.channels] += err[i];
    l.count += static_cast<double>(err.size()) / l.channels;
  };
  Progress progress("bias correction", indices.size());
  for (std::size_t off = 0; off < indices.size(); off += static_cast<std::size_t>(batch_size)) {
    std::vector<std::size_t> ids(indices.begin() + static_cast<long>(off),
                                 indices.begin() + static_cast<long>(std::min(indices.size(), off + static_cast<std::size_t>(batch_size))));
    Batch b = make_batch(data, ids, preprocess);
    exec.run({&b.input}, observe);
    stash.clear();
    progress.advance(ids.size());
  }
  progress.finish();
  for (auto& [op, l] : layers) {
    auto b = const_values(*prepared.get_op(l.bias_const->get_name()));
    const engine::FixSpec f{l.bias_fix_point, 8, true, engine::RoundMode::STD_ROUND};
    for (int c = 0; c < l.channels; ++c) b[c] = engine::fake_quantize(static_cast<float>(b[c] - l.sum[c] / l.count), f);
    set_const_values(*l.bias_const, b);
  }
  return static_cast<int>(layers.size());
}

}  // namespace dputk
