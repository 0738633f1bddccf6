#include "dputk/quantizer/bias_correction.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "dputk/common/progress.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/dpu/fix_math.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/const_data.hpp"

namespace dputk {

namespace {

// Images per step: the float values of every corrected layer of a step are held until the quantized
// network reaches them (ResNet50 at 224: about 40 MB per image).
constexpr std::size_t kStep = 4;

struct Layer {
  xir::Op* bias_const = nullptr;
  dpu::FixSpec bias_fix;
  std::vector<float> bias0;     // the calibrated (on-grid) bias the quantized graph computes with
  std::vector<float> bias;      // corrected, on grid
  std::vector<double> err_sum;  // Σ (y_q − y_f) per channel, y_q computed with bias0
  double positions = 0.0;
};

}  // namespace

BiasCorrectionResult correct_biases(QuantGraph& qg, const xir::Graph& prepared, const Dataset& data,
                                    const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                                    const std::set<std::string>& skip, bool quiet) {
  std::map<std::string, Layer> layers;
  for (xir::Op* op : qg.graph->topological_sort()) {
    // Convolutions and fully connected layers (a transposed convolution's output positions see
    // different numbers of taps, so one mean per channel does not describe its error).
    const std::string& t = op->get_type();
    if (!(t == "conv2d" || t == "depthwise-conv2d" || t == "matmul") || skip.count(op->get_name()) || !prepared.get_op(op->get_name())) continue;
    xir::Op* bfix = op->get_input_op("bias");
    if (!bfix || bfix->get_type() != "fix" || !bfix->has_attr("fix_point")) continue;
    xir::Op* bc = bfix->get_input_op("input");
    if (!bc || bc->get_type() != "const") continue;
    Layer l;
    l.bias_const = bc;
    l.bias_fix = dpu::FixSpec{bfix->get_attr<std::int32_t>("fix_point"), 8, true, dpu::RoundMode::STD_ROUND};
    l.bias0 = const_values(*bc);
    l.bias = l.bias0;
    l.err_sum.assign(l.bias0.size(), 0.0);
    layers.emplace(op->get_name(), std::move(l));
  }
  BiasCorrectionResult result;
  if (layers.empty() || indices.empty()) return result;
  engine::FloatExecutorOptions eo;
  eo.fuse = false;  // a layer's own output, before its activation
  engine::FloatExecutor reference(prepared, eo);
  engine::FloatExecutor quantized(*qg.graph, eo);  // fix ops quantize at their calibrated fix points
  std::optional<Progress> progress;
  if (!quiet) progress.emplace("bias correction", indices.size());
  for (const auto& ids : batches_of(indices, kStep)) {
    Batch b = make_batch(data, ids, preprocess);
    std::map<std::string, engine::FloatTensor> want;
    reference.run({&b.input}, [&](const xir::Op* op, engine::FloatTensor& v) {
      if (layers.count(op->get_name())) want[op->get_name()] = v;
    });
    quantized.run({&b.input}, [&](const xir::Op* op, engine::FloatTensor& v) {
      auto it = layers.find(op->get_name());
      auto w = want.find(op->get_name());
      if (it == layers.end() || w == want.end() || w->second.data.size() != v.data.size()) return;
      Layer& l = it->second;
      const std::size_t c = l.bias0.size();
      if (v.shape.empty() || static_cast<std::size_t>(v.shape.back()) != c) return;
      for (std::size_t i = 0; i < v.data.size(); i += c)
        for (std::size_t k = 0; k < c; ++k) l.err_sum[k] += static_cast<double>(v.data[i + k]) - w->second.data[i + k];
      l.positions += static_cast<double>(v.data.size() / c);
      for (std::size_t k = 0; k < c; ++k)
        l.bias[k] = dpu::fake_quantize(static_cast<float>(l.bias0[k] - l.err_sum[k] / l.positions), l.bias_fix);
      // What follows sees this layer corrected (so it corrects only what is left).
      for (std::size_t i = 0; i < v.data.size(); i += c)
        for (std::size_t k = 0; k < c; ++k) v.data[i + k] += l.bias[k] - l.bias0[k];
      want.erase(w);
    });
    if (progress) progress->advance(ids.size());
  }
  if (progress) progress->finish();
  double shift = 0.0, channels = 0.0;
  for (auto& [name, l] : layers) {
    if (l.positions == 0.0) continue;
    set_const_values(*l.bias_const, l.bias);
    ++result.layers;
    for (std::size_t k = 0; k < l.bias.size(); ++k) shift += std::fabs(l.err_sum[k] / l.positions);
    channels += static_cast<double>(l.bias.size());
  }
  result.mean_shift = channels > 0 ? shift / channels : 0.0;
  return result;
}

}  // namespace dputk
