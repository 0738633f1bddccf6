#include "dputk/quantizer/bias_correction.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "dputk/dpu/fix_math.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/quantizer/image_pass.hpp"

namespace dputk {

namespace {

// Images per step: the corrections found so far apply to the next step's quantized run (and, within
// a step, to the layers after the one corrected).
constexpr std::size_t kStep = 4;

struct Layer {
  xir::Op* bias_const = nullptr;
  dpu::FixSpec bias_fix;
  std::vector<float> bias0;     // the calibrated (on-grid) bias the quantized graph computes with
  std::vector<float> bias;      // corrected, on grid
  std::vector<double> err_sum;  // Σ (y_q − y_f) per channel, y_q computed with bias0
  double positions = 0.0;
  const ChannelStat* reference = nullptr;  // the float network's sums per image
};

}  // namespace

BiasCorrectionResult correct_biases(QuantGraph& qg, const ChannelStats& reference, const Dataset& data,
                                    const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                                    const std::set<std::string>& skip, bool quiet) {
  std::map<std::string, Layer> layers;
  for (xir::Op* op : qg.graph->topological_sort()) {
    // Convolutions and fully connected layers (a transposed convolution's output positions see
    // different numbers of taps, so one mean per channel does not describe its error).
    const std::string& t = op->get_type();
    if (!(t == "conv2d" || t == "depthwise-conv2d" || t == "matmul") || skip.count(op->get_name())) continue;
    auto ref = reference.find(op->get_name());
    if (ref == reference.end()) continue;
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
    l.reference = &ref->second;
    if (l.reference->image_sums.size() != indices.size() * l.bias0.size())
      throw std::logic_error("bias correction: the float statistics of '" + op->get_name() + "' are not over the " +
                             std::to_string(indices.size()) + " images it corrects on");
    layers.emplace(op->get_name(), std::move(l));
  }
  BiasCorrectionResult result;
  if (layers.empty() || indices.empty()) return result;
  engine::FloatExecutor quantized(*qg.graph, calibrated_network_options());
  run_over_images(quantized, data, indices, preprocess, kStep, quiet ? "" : "bias correction",
                  [&](std::size_t first, std::size_t images, const xir::Op* op, engine::FloatTensor& v) {
    auto it = layers.find(op->get_name());
    if (it == layers.end()) return;
    Layer& l = it->second;
    const std::size_t c = l.bias0.size();
    if (v.shape.empty() || static_cast<std::size_t>(v.shape.back()) != c) return;
    for (std::size_t i = 0; i < v.data.size(); i += c)
      for (std::size_t k = 0; k < c; ++k) l.err_sum[k] += v.data[i + k];
    const double* want = l.reference->image_sums.data() + first * c;
    for (std::size_t i = 0; i < images * c; ++i) l.err_sum[i % c] -= want[i];
    l.positions += static_cast<double>(v.data.size() / c);
    for (std::size_t k = 0; k < c; ++k)
      l.bias[k] = dpu::fake_quantize(static_cast<float>(l.bias0[k] - l.err_sum[k] / l.positions), l.bias_fix);
    // What follows sees this layer corrected (so it corrects only what is left).
    for (std::size_t i = 0; i < v.data.size(); i += c)
      for (std::size_t k = 0; k < c; ++k) v.data[i + k] += l.bias[k] - l.bias0[k];
  });
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
