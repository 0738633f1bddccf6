// Graph preparation before any statistic is taken (spec §2.0), on the float graph, in place:
// BatchNorm folding into the preceding convolution, ReLU6 → ReLU (when CLE is on or asked for),
// LeakyReLU slope forced to 26/256, and cross-layer equalization (one pass); with calibration
// statistics, dead-channel weights zeroed and ReLU6-aware equalization.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "dputk/dpu/op_traits.hpp"
#include "dputk/quantizer/channel_stats.hpp"
#include "xir/graph/graph.hpp"

namespace dputk {

struct PrepareOptions {
  bool include_cle = true;
  bool convert_relu6_to_relu = false;  // also implied by include_cle, as vai_q_pytorch does
  // "relu": every ReLU6 becomes ReLU (vai_q_pytorch). "keep_after_depthwise" (dpu-toolkit): a ReLU6
  // that follows a depthwise convolution stays, and CLE does not equalize across it. MobileNet-style
  // networks trained with the clip rely on exactly those (MobileNetV2 here: 71.50% → 78.00% int8).
  // "keep" (dpu-toolkit): every ReLU6 stays (QAT-trained MobileNets). The quantizer's "auto" is
  // resolved to one of these by measurement before preparation (see auto_choice.hpp).
  std::string relu6_replace = "relu";
  // vai_q's convert_silu_to_hswish: SiLU (x · sigmoid(x), as exported) becomes hard-swish
  // (x · hard-sigmoid(x)), which the DPU runs; it changes the function (opt-in, as in vai_q).
  bool convert_silu_to_hswish = false;
  // When set: called on the graph after the structural steps (BatchNorm folding, the ReLU6 policy) to
  // gather calibration statistics; then weights that read always-zero channels are zeroed and
  // equalization may cross a ReLU6 where its clip does not bind (see prepare.cpp).
  std::function<ChannelStats(const xir::Graph&)> channel_stats;
  // With channel_stats: a ReLU6 channel that never falls below an offset and whose consumer's weights
  // set that layer's range has the offset absorbed into the consumer (see prepare.cpp; exact except
  // where the consumer's window meets its padding).
  bool absorb_relu6_offsets = true;
  // When set (with channel_stats): receives those statistics as they stand for the prepared graph —
  // equalization scales channels exactly on the calibration data (ReLU, or a ReLU6 whose clip does not
  // bind), and zeroed weights read channels that are 0 anyway, so no second pass over the images.
  ChannelStats* prepared_stats = nullptr;
};

// Returns one line per change made (for the log).
std::vector<std::string> prepare_graph(xir::Graph& graph, const PrepareOptions& options);

}  // namespace dputk
