// Per-channel statistics of a float graph's values over calibration images: what the data-driven
// preparation steps read (dead channels, ReLU6-aware equalization, input-weighted weight fix points).
// The channel is the last axis (NHWC feature maps, [N, F] vectors).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "xir/graph/graph.hpp"

namespace dputk {

struct ChannelStat {
  std::vector<float> min, max;
  std::vector<double> mean, mean_square;  // E[x_c], E[x_c²] over images and positions
  // Weighted ops and adds only (convolutions, fully connected: their own output, before any activation): per
  // image, Σ x_c over its positions — image i's sums at [i·C, (i+1)·C), images in the order gathered.
  // Bias correction pairs them with the quantized network's sums on the same images.
  std::vector<double> image_sums;
  // A channel that is exactly 0 on every image (a ReLU that never fires).
  bool dead(std::size_t c) const { return min[c] == 0.0f && max[c] == 0.0f; }
  // The statistics of the value with channel c divided by s[c] (s > 0).
  void scale_channels(const std::vector<float>& s);
  // The statistics of the value with channel c replaced by s·(v − beta) (s > 0); `positions` per image
  // (for the per-image sums).
  void shift_scale_channel(std::size_t c, float beta, float s, double positions);
  // The statistics of the value with a copy of channel c appended as its last channel.
  void duplicate_channel(std::size_t c);
};
using ChannelStats = std::map<std::string, ChannelStat>;  // by op name (ops whose value the executor materialises)

// Runs `graph` in float on the images (in batches) and returns the statistics of every op's value;
// with `progress`, a progress line ("float statistics").
ChannelStats gather_channel_stats(const xir::Graph& graph, const Dataset& data, const std::vector<std::size_t>& indices,
                                  const Preprocess& preprocess, int batch_size, bool progress = false);

// `stats` with each op's per-image sums cut to its first `images` images (what bias correction on those
// images pairs with); the other statistics stay those over all images.
ChannelStats first_images(const ChannelStats& stats, std::size_t images);

// The statistics of the value a weighted op (convolution, fully connected) reads as its input, or
// nullptr when they were not gathered.
const ChannelStat* input_stat(const ChannelStats& stats, const xir::Op& weighted_op);

}  // namespace dputk
