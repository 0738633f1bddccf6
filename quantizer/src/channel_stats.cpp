#include "dputk/quantizer/channel_stats.hpp"

#include <algorithm>
#include <limits>

#include "dputk/data/batch.hpp"
#include "dputk/engine/float_executor.hpp"

namespace dputk {

ChannelStats gather_channel_stats(const xir::Graph& graph, const Dataset& data, const std::vector<std::size_t>& indices,
                                  const Preprocess& preprocess, int batch_size) {
  ChannelStats stats;
  std::map<std::string, double> counts;
  engine::FloatExecutorOptions eo;
  eo.fuse = false;  // every op's own value (a convolution's before its activation)
  engine::FloatExecutor exec(graph, eo);
  for (const auto& ids : batches_of(indices, static_cast<std::size_t>(batch_size))) {
    Batch b = make_batch(data, ids, preprocess);
    exec.run({&b.input}, [&](const xir::Op* op, engine::FloatTensor& v) {
      if (v.shape.size() < 2 || v.numel() == 0) return;
      const std::size_t c = static_cast<std::size_t>(v.shape.back());
      ChannelStat& s = stats[op->get_name()];
      if (s.max.empty()) {
        s.min.assign(c, std::numeric_limits<float>::infinity());
        s.max.assign(c, -std::numeric_limits<float>::infinity());
        s.mean_square.assign(c, 0.0);
      }
      if (s.max.size() != c) return;
      for (std::size_t i = 0; i < v.data.size(); i += c)
        for (std::size_t k = 0; k < c; ++k) {
          const float x = v.data[i + k];
          s.min[k] = std::min(s.min[k], x);
          s.max[k] = std::max(s.max[k], x);
          s.mean_square[k] += static_cast<double>(x) * x;
        }
      counts[op->get_name()] += static_cast<double>(v.data.size() / c);
    });
  }
  for (auto& [name, s] : stats)
    for (double& m : s.mean_square) m /= std::max(1.0, counts[name]);
  return stats;
}

const ChannelStat* input_stat(const ChannelStats& stats, const xir::Op& weighted_op) {
  const xir::Op* in = weighted_op.get_input_op("input", 0);
  if (!in) return nullptr;
  auto it = stats.find(in->get_name());
  return it == stats.end() ? nullptr : &it->second;
}

}  // namespace dputk
