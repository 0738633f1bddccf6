#include "finetune_loss.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

namespace dputk::finetune {

namespace {

using engine::ref::Activation;
using engine::ref::ActivationParams;

// Values per block: each block's squared error is summed on its own, the blocks' sums in order.
constexpr std::int64_t kBlock = 4096;

template <Activation K>
double block(const float* y, const float* t, float* dy, std::int64_t n, const ActivationParams& act, const dpu::FixSpec& fix, float scale) {
  float q[kBlock] = {};
  for (std::int64_t i = 0; i < n; ++i) q[i] = act.apply_as<K>(y[i]);
  dpu::fake_quantize_array(q, n, fix, q);
  // Eight running sums, in lanes (one sum's chain of dependent additions took the time of the
  // convolution), added in a fixed order.
  constexpr int kLanes = 8;
  double lane[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const double d = static_cast<double>(q[i + j]) - t[i + j];
      lane[j] += d * d;
      if (dy) dy[i + j] = scale * static_cast<float>(d) * act.slope_as<K>(y[i + j]);
    }
  for (; i < n; ++i) {
    const double d = static_cast<double>(q[i]) - t[i];
    lane[0] += d * d;
    if (dy) dy[i] = scale * static_cast<float>(d) * act.slope_as<K>(y[i]);
  }
  double se = 0.0;
  for (double v : lane) se += v;
  return se;
}

template <Activation K>
double sum_blocks(const float* y, const float* t, std::int64_t n, const ActivationParams& act, const dpu::FixSpec& fix, float* dy, float scale) {
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> se(static_cast<std::size_t>(blocks));
  at::parallel_for(0, blocks, 16, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t k = b0; k < b1; ++k) {
      const std::int64_t at = k * kBlock;
      se[static_cast<std::size_t>(k)] = block<K>(y + at, t + at, dy ? dy + at : nullptr, std::min(kBlock, n - at), act, fix, scale);
    }
  });
  double total = 0.0;
  for (double v : se) total += v;
  return total;
}

}  // namespace

double fixed_output_sse(const float* y, const float* t, std::int64_t n, const ActivationParams& act, const dpu::FixSpec& fix, float* dy,
                        double scale) {
  const float s = static_cast<float>(scale);
  switch (act.kind) {
    case Activation::RELU: return sum_blocks<Activation::RELU>(y, t, n, act, fix, dy, s);
    case Activation::RELU6: return sum_blocks<Activation::RELU6>(y, t, n, act, fix, dy, s);
    case Activation::CLAMP: return sum_blocks<Activation::CLAMP>(y, t, n, act, fix, dy, s);
    case Activation::LEAKY_RELU: return sum_blocks<Activation::LEAKY_RELU>(y, t, n, act, fix, dy, s);
    default: return sum_blocks<Activation::NONE>(y, t, n, act, fix, dy, s);
  }
}

}  // namespace dputk::finetune
