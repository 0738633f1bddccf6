#include "dputk/quantizer/outlier_split.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "conv_weights.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/quantizer/const_data.hpp"

namespace dputk {

namespace {

// The ops through which channel c of `top`'s value can be computed twice, as a new last channel: from
// `top` up through activations and depthwise convolutions (multiplier 1) to the dense
// convolution (group 1) that makes the channel, every one with a single consumer and its own const
// parameters; empty when there is no such chain.
std::vector<xir::Op*> duplicable_chain(xir::Op* top) {
  std::vector<xir::Op*> chain;
  for (xir::Op* op = top; op; op = op->get_input_op("input")) {
    if (op->get_fanout_num() != 1) return {};
    chain.push_back(op);
    if (dpu::is_activation_op(op->get_type())) continue;  // elementwise: a copy of channel c gives a copy
    if (!is_conv(op)) return {};
    const xir::Op *w = op->get_input_op("weights"), *b = op->get_input_op("bias");
    if (!w || w->get_type() != "const" || w->get_fanout_num() != 1) return {};
    if (b && (b->get_type() != "const" || b->get_fanout_num() != 1)) return {};
    if (op->get_type() == "conv2d") return op->get_attr_or<std::int32_t>("group", 1) == 1 ? chain : std::vector<xir::Op*>{};
    if (w->get_output_tensor()->get_shape()[0] != 1) return {};
  }
  return {};
}

// `values` laid out as rows of `width` (the last axis), each with copies of its elements `at` appended.
std::vector<float> append_on_last_axis(const std::vector<float>& values, std::size_t width, const std::vector<int>& at) {
  std::vector<float> out;
  out.reserve(values.size() / width * (width + at.size()));
  for (std::size_t i = 0; i < values.size(); i += width) {
    out.insert(out.end(), values.begin() + static_cast<std::ptrdiff_t>(i), values.begin() + static_cast<std::ptrdiff_t>(i + width));
    for (int a : at) out.push_back(values[i + static_cast<std::size_t>(a)]);
  }
  return out;
}

// conv (of a duplicable_chain) computing its output channel c a second time, as its new last channel.
void duplicate_output_channel(xir::Op* conv, int c) {
  ConvWeights w = weights_of(conv);
  auto shape = w.shape;
  std::vector<float> v;
  if (w.depthwise) {  // [1, KH, KW, C]
    v = append_on_last_axis(w.w, static_cast<std::size_t>(shape[3]), {c});
    ++shape[3];
  } else {  // [O, KH, KW, I]
    const std::size_t per = w.w.size() / static_cast<std::size_t>(shape[0]);
    v = w.w;
    v.insert(v.end(), w.w.begin() + static_cast<std::ptrdiff_t>(c * per), w.w.begin() + static_cast<std::ptrdiff_t>((c + 1) * per));
    ++shape[0];
  }
  set_const_values(*w.op, v, shape);
  if (xir::Op* b = conv->get_input_op("bias")) {
    auto bias = const_values(*b);
    bias.push_back(bias[static_cast<std::size_t>(c)]);
    set_const_values(*b, bias, {static_cast<std::int32_t>(bias.size())});
  }
}

}  // namespace

// A layer reads each split channel twice, through two copies of it, with half the weights on each:
// exact, as the producer computes the channel twice (a dense convolution's row, through per-channel
// activations and depthwise filters, duplicated) and w·x = (w/2)·x + (w/2)·x. The channels split are
// those with the largest weights, as few as make the layer's calibrated weight fix point finer, at most
// one in kSplitShare. MobileNetV1 0.25's op6 (32×32 pointwise): one weight of 4.52, on input channel
// 24, the next largest 3.05, so fix point 4 for all 1024 weights; channel 24 split, fix point 5, for
// one channel more in op4 (pointwise) and op5 (depthwise). Rounded to nearest, both copies' weights
// round alike, so the split channel's own error is what it was; every other weight's step halves.
constexpr int kSplitShare = 16;
std::vector<std::string> split_outlier_channels(xir::Graph& g, ChannelStats& stats, const CalibOptions& calib) {
  int channels = 0, layers = 0;
  for (xir::Op* conv : g.topological_sort()) {
    if (conv->get_type() != "conv2d" || conv->get_attr_or<std::int32_t>("group", 1) != 1) continue;
    const xir::Op* wop = conv->get_input_op("weights");
    if (!wop || wop->get_type() != "const" || wop->get_fanout_num() != 1) continue;
    const std::vector<xir::Op*> chain = duplicable_chain(conv->get_input_op("input"));
    if (chain.empty()) continue;
    ConvWeights w = weights_of(conv);
    const int in = w.in_channels();
    const auto e = calib.input_energy.find(conv->get_name());
    const std::vector<double>* energy = e != calib.input_energy.end() && e->second.size() == static_cast<std::size_t>(in) ? &e->second : nullptr;
    std::vector<float> range(static_cast<std::size_t>(in), 0.0f);  // largest |weight| reading each input channel
    for (int c = 0; c < in; ++c) w.for_input(c, [&](float& v) { range[c] = std::max(range[c], std::fabs(v)); });
    std::vector<int> order(static_cast<std::size_t>(in));
    for (int c = 0; c < in; ++c) order[c] = c;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return range[a] > range[b]; });
    const int fp0 = weight_fix_point(w.w.data(), static_cast<std::int64_t>(w.w.size()), energy, calib);
    // The first k channels split: the weights (halved columns, a copy of each appended) and their energies.
    auto split_weights = [&](int k) {
      ConvWeights s = w;
      for (int i = 0; i < k; ++i) s.for_input(order[i], [](float& v) { v /= 2.0f; });
      return append_on_last_axis(s.w, static_cast<std::size_t>(in), std::vector<int>(order.begin(), order.begin() + k));
    };
    auto finer = [&](int k) {
      const std::vector<float> v = split_weights(k);
      std::vector<double> ek;
      if (energy) {
        ek = *energy;
        for (int i = 0; i < k; ++i) ek.push_back((*energy)[order[i]]);
      }
      return weight_fix_point(v.data(), static_cast<std::int64_t>(v.size()), energy ? &ek : nullptr, calib) > fp0;
    };
    // The fewest channels that do it: splitting more only lowers the weights, so a bisection (one
    // search over the weights when even the most allowed do not, as in most layers).
    int lo = 0, hi = std::max(1, in / kSplitShare);
    if (!finer(hi)) continue;
    while (hi - lo > 1) {
      const int mid = (lo + hi) / 2;
      (finer(mid) ? hi : lo) = mid;
    }
    const int split = hi;
    auto shape = w.shape;
    shape[3] += split;
    set_const_values(*w.op, split_weights(split), shape);
    for (int i = 0; i < split; ++i)
      for (xir::Op* op : chain) {
        if (is_conv(op)) duplicate_output_channel(op, order[i]);
        auto it = stats.find(op->get_name());
        if (it != stats.end() && it->second.max.size() == static_cast<std::size_t>(in + i)) it->second.duplicate_channel(static_cast<std::size_t>(order[i]));
      }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) (*it)->shape_infer();
    conv->shape_infer();
    channels += split;
    ++layers;
  }
  if (!channels) return {};
  return {"outlier channel splitting: " + std::to_string(channels) + " channels computed twice, so that " + std::to_string(layers) +
          " layers read them with half the weights and a finer weight fix point"};
}

}  // namespace dputk
