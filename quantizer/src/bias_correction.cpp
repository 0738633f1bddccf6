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
  const ChannelStat* reference = nullptr;  // the float network's sums per image (of the op measured)
  std::string measured;                    // the op whose error is measured: the layer, or its residual add
};

// The op that reads `op`'s value straight (through its fix ops, each with that one reader), or nullptr.
const xir::Op* straight_reader(const xir::Op* op) {
  const xir::Op* r = op;
  do r = r->get_fanout_num() == 1 ? r->get_fanout_ops()[0] : nullptr;
  while (r && r->get_type() == "fix");
  return r;
}

// The residual add a layer is corrected at: the add its value goes straight into, when no other
// layer's does and an activation follows the add (a ResNet block's last convolution). Through that
// activation the shortcut's error gains a mean (E[relu(x + e)] ≠ relu(x)) that no layer's own
// correction takes out, and it adds up block after block (CIFAR ResNet32: logit SQNR 12.0 dB
// corrected at the layers, 22.3 dB at the adds). The layer's bias is the one place that mean can go, so
// it is corrected by the add's error. A linear stream (MobileNetV2's) keeps each layer's own correction:
// there the adds' error is the sum of the corrected branches' (at the adds, DeepLabV3 lost 1.3 dB).
const xir::Op* residual_add_of(const xir::Op* layer) {
  const xir::Op* add = straight_reader(layer);
  if (!add || add->get_type() != "add") return nullptr;
  const xir::Op* after = straight_reader(add);
  if (!after || !dpu::is_activation_op(after->get_type())) return nullptr;
  int layers = 0;
  for (const xir::Op* in : add->get_input_ops("input")) {
    while (in->get_type() == "fix" && in->get_input_num() == 1) in = in->get_input_op("input");
    layers += dpu::op_traits(in->get_type()).weighted && straight_reader(in) == add;
  }
  return layers == 1 ? add : nullptr;
}

}  // namespace

bool has_residual_add_targets(const xir::Graph& graph) {
  for (const xir::Op* op : graph.get_ops())
    if (dpu::op_traits(op->get_type()).weighted && residual_add_of(op)) return true;
  return false;
}

BiasCorrectionResult correct_biases(QuantGraph& qg, const ChannelStats& reference, const Dataset& data,
                                    const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                                    const std::set<std::string>& skip, bool quiet, BiasTarget target) {
  std::map<std::string, Layer> layers;
  for (xir::Op* op : qg.graph->topological_sort()) {
    // Convolutions and fully connected layers (a transposed convolution's output positions see
    // different numbers of taps, so one mean per channel does not describe its error).
    const std::string& t = op->get_type();
    if (!(t == "conv2d" || t == "depthwise-conv2d" || t == "matmul") || skip.count(op->get_name())) continue;
    const xir::Op* add = target == BiasTarget::RESIDUAL_ADDS ? residual_add_of(op) : nullptr;
    const std::string measured = add && reference.count(add->get_name()) ? add->get_name() : op->get_name();
    auto ref = reference.find(measured);
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
    l.measured = measured;
    if (l.reference->image_sums.size() != indices.size() * l.bias0.size())
      throw std::logic_error("bias correction: the float statistics of '" + measured + "' are not over the " +
                             std::to_string(indices.size()) + " images it corrects on");
    layers.emplace(op->get_name(), std::move(l));
  }
  std::map<std::string, Layer*> by_measured;  // the layers corrected by their residual add's error
  for (auto& [name, l] : layers)
    if (l.measured != name) by_measured[l.measured] = &l;
  BiasCorrectionResult result;
  if (layers.empty() || indices.empty()) return result;
  engine::FloatExecutor quantized(*qg.graph, calibrated_network_options());
  run_over_images(quantized, data, indices, preprocess, kStep, quiet ? "" : "bias correction",
                  [&](std::size_t first, std::size_t images, const xir::Op* op, engine::FloatTensor& v) {
    Layer* l = nullptr;
    bool own = false;  // the layer's own value (else its residual add's)
    if (auto it = layers.find(op->get_name()); it != layers.end()) {
      l = &it->second;
      own = true;
    } else if (auto m = by_measured.find(op->get_name()); m != by_measured.end()) {
      l = m->second;
    }
    if (!l) return;
    const std::size_t c = l->bias0.size();
    if (v.shape.empty() || static_cast<std::size_t>(v.shape.back()) != c) return;
    // The correction v carries: none in the layer's own value, the one so far at its residual add.
    std::vector<float> carried(c, 0.0f);
    if (!own)
      for (std::size_t k = 0; k < c; ++k) carried[k] = l->bias[k] - l->bias0[k];
    auto shift = [&](const std::vector<float>& from) {  // v as corrected now instead of by `from`
      for (std::size_t i = 0; i < v.data.size(); i += c)
        for (std::size_t k = 0; k < c; ++k) v.data[i + k] += l->bias[k] - l->bias0[k] - from[k];
    };
    if (own && l->measured != op->get_name()) return shift(carried);  // measured at the add, corrected as so far
    for (std::size_t i = 0; i < v.data.size(); i += c)
      for (std::size_t k = 0; k < c; ++k) l->err_sum[k] += v.data[i + k] - carried[k];
    const double* want = l->reference->image_sums.data() + first * c;
    for (std::size_t i = 0; i < images * c; ++i) l->err_sum[i % c] -= want[i];
    l->positions += static_cast<double>(v.data.size() / c);
    for (std::size_t k = 0; k < c; ++k)
      l->bias[k] = dpu::fake_quantize(static_cast<float>(l->bias0[k] - l->err_sum[k] / l->positions), l->bias_fix);
    shift(carried);  // what follows sees this layer corrected (so it corrects only what is left)
  });
  double shift = 0.0, channels = 0.0;
  for (auto& [name, l] : layers) {
    if (l.positions == 0.0) continue;
    set_const_values(*l.bias_const, l.bias);
    ++result.layers;
    result.at_adds += l.measured != name;
    for (std::size_t k = 0; k < l.bias.size(); ++k) shift += std::fabs(l.err_sum[k] / l.positions);
    channels += static_cast<double>(l.bias.size());
  }
  result.mean_shift = channels > 0 ? shift / channels : 0.0;
  return result;
}

}  // namespace dputk
