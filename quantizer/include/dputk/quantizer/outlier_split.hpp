// Outlier channel splitting (Zhao, Hu, Dotzel, De Sa, Zhang 2019, "Improving Neural Network
// Quantization without Retraining using Outlier Channel Splitting", §3), within the DPU's rules: a
// channel is computed twice and read twice with half the weights, so the layer reading it gets a finer
// per-tensor weight fix point. The quantizer tries it on the calibration images (auto_choice.hpp).
#pragma once
#include <string>
#include <vector>

#include "dputk/quantizer/calibrate.hpp"
#include "dputk/quantizer/channel_stats.hpp"
#include "xir/graph/graph.hpp"

namespace dputk {

// On a prepared graph and its statistics (exact; see outlier_split.cpp): a dense convolution whose
// weight range is set by the weights on a few input channels reads each of them twice, with half the
// weights, where that makes the weight fix point `calib` would give the layer (its input_energy
// included) finer. Returns one line per change made (none: nothing split); `stats` follow.
std::vector<std::string> split_outlier_channels(xir::Graph& graph, ChannelStats& stats, const CalibOptions& calib);

}  // namespace dputk
