#include "dputk/quantizer/channel_stats.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/image_pass.hpp"

namespace dputk {

namespace {
// One image's values [positions][c]: per channel min, max, Σx, Σx² and the image's own Σx — the
// statistics pass's own work after each op (ResNet50, 200 images: 4·10^9 values, 3.3 s as a plain
// loop, 1.8 s here), built for the widest vector unit the machine has; each channel's sums in the same order.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void accumulate(
    const float* __restrict x, std::size_t positions, std::size_t c, float* __restrict lo,
    float* __restrict hi, double* __restrict sx, double* __restrict sq, double* __restrict sum) {
  for (std::size_t p = 0; p < positions; ++p, x += c) {
    for (std::size_t k = 0; k < c; ++k) {
      lo[k] = std::min(lo[k], x[k]);
      hi[k] = std::max(hi[k], x[k]);
      sx[k] += x[k];
      sq[k] += static_cast<double>(x[k]) * x[k];
    }
    if (sum)
      for (std::size_t k = 0; k < c; ++k) sum[k] += x[k];
  }
}
}  // namespace

ChannelStats gather_channel_stats(const xir::Graph& graph, const Dataset& data, const std::vector<std::size_t>& indices,
                                  const Preprocess& preprocess, int batch_size, bool progress) {
  // Only the values something reads: weighted ops (their own output: bias correction's reference,
  // equalization's scaling) and their inputs (dead channels, input energies), ReLU6 outputs (clips).
  std::set<const xir::Op*> wanted;
  for (const xir::Op* op : graph.get_ops()) {
    if (dpu::is_relu6(*op) || op->get_type() == "add") wanted.insert(op);  // adds: bias correction's residual targets
    if (!dpu::op_traits(op->get_type()).weighted) continue;
    wanted.insert(op);
    if (const xir::Op* in = op->get_input_op("input", 0)) wanted.insert(in);
  }
  ChannelStats stats;
  std::map<std::string, double> counts;
  engine::FloatExecutorOptions eo;
  eo.fuse = false;  // every op's own value (a convolution's before its activation)
  engine::FloatExecutor exec(graph, eo);
  run_over_images(exec, data, indices, preprocess, static_cast<std::size_t>(batch_size), progress ? "float statistics" : "",
                  [&](std::size_t, std::size_t, const xir::Op* op, engine::FloatTensor& v) {
    if (v.shape.size() < 2 || v.numel() == 0 || !wanted.count(op)) return;
    const std::size_t c = static_cast<std::size_t>(v.shape.back());
    ChannelStat& s = stats[op->get_name()];
    if (s.max.empty()) {
      s.min.assign(c, std::numeric_limits<float>::infinity());
      s.max.assign(c, -std::numeric_limits<float>::infinity());
      s.mean.assign(c, 0.0);
      s.mean_square.assign(c, 0.0);
    }
    if (s.max.size() != c) return;
    const bool sums = dpu::op_traits(op->get_type()).weighted || op->get_type() == "add";
    const std::size_t images = static_cast<std::size_t>(v.shape[0]), per_image = v.data.size() / images;
    double* image_sums = nullptr;
    if (sums) {
      s.image_sums.resize(s.image_sums.size() + images * c, 0.0);
      image_sums = s.image_sums.data() + s.image_sums.size() - images * c;
    }
    for (std::size_t i = 0; i < images; ++i)
      accumulate(v.data.data() + i * per_image, per_image / c, c, s.min.data(), s.max.data(), s.mean.data(), s.mean_square.data(),
                 image_sums ? image_sums + i * c : nullptr);
    counts[op->get_name()] += static_cast<double>(v.data.size() / c);
  });
  for (auto& [name, s] : stats)
    for (auto* v : {&s.mean, &s.mean_square})
      for (double& m : *v) m /= std::max(1.0, counts[name]);
  return stats;
}

void ChannelStat::scale_channels(const std::vector<float>& s) {
  for (std::size_t c = 0; c < s.size() && c < max.size(); ++c) {
    min[c] /= s[c];
    max[c] /= s[c];
    mean[c] /= s[c];
    mean_square[c] /= static_cast<double>(s[c]) * s[c];
  }
  const std::size_t channels = max.size();
  for (std::size_t i = 0; channels && i < image_sums.size(); ++i) image_sums[i] /= s[i % channels];
}

void ChannelStat::shift_scale_channel(std::size_t c, float beta, float s, double positions) {
  min[c] = s * (min[c] - beta);
  max[c] = s * (max[c] - beta);
  mean_square[c] = static_cast<double>(s) * s * (mean_square[c] - 2.0 * beta * mean[c] + static_cast<double>(beta) * beta);
  mean[c] = s * (mean[c] - beta);
  const std::size_t channels = max.size();
  for (std::size_t i = c; channels && i < image_sums.size(); i += channels) image_sums[i] = s * (image_sums[i] - beta * positions);
}

void ChannelStat::duplicate_channel(std::size_t c) {
  const std::size_t channels = max.size();
  for (auto* v : {&min, &max}) v->push_back((*v)[c]);
  for (auto* v : {&mean, &mean_square}) v->push_back((*v)[c]);
  std::vector<double> sums;
  sums.reserve(image_sums.size() / channels * (channels + 1));
  for (std::size_t i = 0; i + channels <= image_sums.size(); i += channels) {
    sums.insert(sums.end(), image_sums.begin() + static_cast<std::ptrdiff_t>(i), image_sums.begin() + static_cast<std::ptrdiff_t>(i + channels));
    sums.push_back(image_sums[i + c]);
  }
  image_sums = std::move(sums);
}

ChannelStats first_images(const ChannelStats& stats, std::size_t images) {
  ChannelStats cut;
  for (const auto& [name, s] : stats) {
    ChannelStat& c = cut[name] = s;
    c.image_sums.resize(std::min(s.image_sums.size(), images * s.max.size()));
  }
  return cut;
}

const ChannelStat* input_stat(const ChannelStats& stats, const xir::Op& weighted_op) {
  const xir::Op* in = weighted_op.get_input_op("input", 0);
  if (!in) return nullptr;
  auto it = stats.find(in->get_name());
  return it == stats.end() ? nullptr : &it->second;
}

}  // namespace dputk
