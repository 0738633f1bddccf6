// Bias correction (spec §2.4, option include_bias_corr, on by default), empirical and sequential:
// for every convolution and fully connected layer with a fix-quantized bias, the per-channel mean of
// its output error against the float network, mean(y_q − y_f), is measured on calibration images and
// taken out of its bias (then put on the bias's grid at its fix point, saturating).
//
// The error measured is the whole error the layer's output carries — its own weight and bias
// rounding, and what its quantized input brings from upstream (activation rounding and clipping
// through nonlinearities have non-zero means). One pass in topological order: the quantized network
// runs with the corrections of the layers before already applied to their outputs, so each layer
// corrects what is left (Nagel et al. 2019, "Data-Free Quantization", §4.2's empirical bias
// correction, done layer after layer). vai_q_pytorch corrects iteratively during calibration (rate
// 0.05 per batch); the earlier one-shot form here corrected only the weight error (ΔW·E[x]) and left
// MobileNetV1 (QAT) at 63.25% where this gives 71% of 73.5% float.
#pragma once
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/quantizer/channel_stats.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

struct BiasCorrectionResult {
  int layers = 0;           // biases corrected
  int at_adds = 0;          // of them, by their residual add's error (BiasTarget::RESIDUAL_ADDS)
  double mean_shift = 0.0;  // mean |correction| over all channels (float units)
};

// Where a layer's error is measured. LAYERS: at its own output (Nagel et al., vai_q). RESIDUAL_ADDS:
// a layer whose value goes straight into a residual add followed by an activation (a ResNet block's
// last convolution; the only layer there) is corrected by the add's error instead, which carries the
// shortcut's mean error too; the other layers at their own outputs.
enum class BiasTarget { LAYERS, RESIDUAL_ADDS };

// Whether `graph` (quantizer form or float) has a layer RESIDUAL_ADDS corrects at an add.
bool has_residual_add_targets(const xir::Graph& graph);

// Corrects the biases of qg (calibrated: fix points written, parameters on their grid) against the
// float network it stands for, given as that network's statistics on the same images in the same
// order (`reference`: ChannelStat::image_sums of each layer, e.g. PrepareOptions::prepared_stats), so
// no float run is needed here. Layers named in `skip` are left alone.
BiasCorrectionResult correct_biases(QuantGraph& qg, const ChannelStats& reference, const Dataset& data,
                                    const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                                    const std::set<std::string>& skip = {}, bool quiet = false,
                                    BiasTarget target = BiasTarget::LAYERS);

}  // namespace dputk
