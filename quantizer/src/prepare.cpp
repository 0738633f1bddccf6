#include "dputk/quantizer/prepare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "dputk/quantizer/const_data.hpp"
#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "conv_weights.hpp"

namespace dputk {

namespace {

// Moves every consumer of `from` to `to`.
void redirect(xir::Op* from, xir::Op* to) {
  for (xir::Op* user : from->get_fanout_ops()) user->replace_input_op(from, to);
}

void remove_if_unused(xir::Graph& g, xir::Op* op) {
  if (op && op->get_fanout_num() == 0) g.remove_op(op);
}

// A zero Pad on H/W before an average pool or a convolution becomes that op's own padding (PyTorch
// exports AvgPool2d(padding=p) as Pad → AveragePool): exact, since the padded zeros enter the sums and
// the average divides by the kernel area (count_include_pad, the DPU's rule too). A standalone pad-fix
// has no DPU engine; folded, the op stays on the DPU.
void fold_pads(xir::Graph& g, std::vector<std::string>& log) {
  using IV = std::vector<std::int32_t>;
  int count = 0;
  for (xir::Op* op : g.topological_sort()) {
    if (op->get_type() != "pad" || op->get_fanout_num() != 1) continue;
    xir::Op* user = op->get_fanout_ops()[0];
    const std::string& ut = user->get_type();
    const bool window = is_conv(user) || (ut == "avgpool2d" && !user->get_attr_or<bool>("global", false));
    if (!window || user->get_attr_or<std::string>("pad_mode", "FLOOR") != "FLOOR" || user->get_input_op("input") != op) continue;
    const IV p = op->get_attr<IV>("paddings");
    const auto values = op->get_attr_or<std::vector<float>>("constant_values", {});
    if (op->get_attr<std::string>("mode") != "CONSTANT" || (!values.empty() && values[0] != 0.0f) || p.size() != 8 || p[0] || p[1] ||
        p[6] || p[7])
      continue;
    IV pad = user->get_attr_or<IV>("pad", {0, 0, 0, 0});  // {left, right, top, bottom}; paddings NHWC {n0,n1,h0,h1,w0,w1,c0,c1}
    pad = {pad[0] + p[4], pad[1] + p[5], pad[2] + p[2], pad[3] + p[3]};
    user->set_attr<IV>("pad", pad);
    if (ut == "avgpool2d") user->set_attr<bool>("count_include_pad", true);
    user->replace_input_op(op, op->get_input_op("input"));
    g.remove_op(op);
    ++count;
  }
  if (count) log.push_back("zero Pad folded into the padding of the average pool / convolution after it (" + std::to_string(count) + " ops)");
}

// A classifier flattening a feature map in PyTorch's (NCHW) element order reads it through a transpose
// (NHWC → NCHW) that no DPU engine runs (VGG, AlexNet). When the flattened vector feeds only fully
// connected layers with constant weights, permuting their weight rows to NHWC order computes the same
// values without the transpose: W'[o, (h·W + w)·C + c] = W[o, (c·H + h)·W + w].
void absorb_flatten_transposes(xir::Graph& g, std::vector<std::string>& log) {
  using IV = std::vector<std::int32_t>;
  int count = 0;
  for (xir::Op* t : g.topological_sort()) {
    if (t->get_type() != "transpose" || t->get_attr<IV>("order") != IV{0, 3, 1, 2} || t->get_fanout_num() != 1) continue;
    xir::Op* flat = t->get_fanout_ops()[0];
    if (flat->get_type() != "flatten" || flat->get_fanout_num() == 0) continue;
    const IV nhwc = t->get_input_op("input")->get_output_tensor()->get_shape();
    if (nhwc.size() != 4) continue;
    const int H = nhwc[1], W = nhwc[2], C = nhwc[3], K = H * W * C;
    bool ok = true;
    for (xir::Op* mm : flat->get_fanout_ops()) {
      auto ins = mm->get_input_ops("input");
      ok = ok && mm->get_type() == "matmul" && ins.size() == 2 && ins[0] == flat && ins[1]->get_type() == "const" &&
           ins[1]->get_fanout_num() == 1 && !mm->get_attr<bool>("transpose_a");
    }
    if (!ok) continue;
    for (xir::Op* mm : flat->get_fanout_ops()) {
      xir::Op* wop = mm->get_input_ops("input")[1];
      const std::vector<float> w = const_values(*wop);
      const bool tb = mm->get_attr<bool>("transpose_b");  // [N, K] when true, else [K, N]
      const int N = static_cast<int>(w.size()) / K;
      std::vector<float> p(w.size());
      for (int h = 0; h < H; ++h)
        for (int x = 0; x < W; ++x)
          for (int c = 0; c < C; ++c) {
            const int from = (c * H + h) * W + x, to = (h * W + x) * C + c;
            for (int o = 0; o < N; ++o) {
              if (tb) p[static_cast<std::size_t>(o) * K + to] = w[static_cast<std::size_t>(o) * K + from];
              else p[static_cast<std::size_t>(to) * N + o] = w[static_cast<std::size_t>(from) * N + o];
            }
          }
      set_const_values(*wop, p);
    }
    flat->replace_input_op(t, t->get_input_op("input"));
    g.remove_op(t);
    ++count;
  }
  if (count)
    log.push_back("flatten in NCHW order absorbed into the fully connected weights after it (" + std::to_string(count) + " transposes removed)");
}

// A fully connected layer over a flattened H×W×C feature map (VGG's and AlexNet's first classifier
// layer: 7·7·512 = 25088 inputs, beyond the conv engine's 4096 channels) is the H×W convolution of the
// map with the same weights: W'[o, h, w, c] = W[o, (h·W + w)·C + c] (NHWC order, after
// absorb_flatten_transposes). It runs on the DPU's conv engine; a ReLU after it moves with it, and the
// flatten follows: map → conv (→ act) → flatten.
void fc_over_map_as_conv(xir::Graph& g, std::vector<std::string>& log) {
  using IV = std::vector<std::int32_t>;
  int count = 0;
  for (xir::Op* flat : g.topological_sort()) {
    if (flat->get_type() != "flatten" || flat->get_fanout_num() != 1) continue;
    xir::Op* map = flat->get_input_op("input");
    const IV nhwc = map->get_output_tensor()->get_shape();
    if (nhwc.size() != 4 || nhwc[1] * nhwc[2] == 1 || nhwc[1] > 16 || nhwc[2] > 16) continue;
    xir::Op* mm = flat->get_fanout_ops()[0];
    const auto ins = mm->get_input_ops("input");
    if (mm->get_type() != "matmul" || ins.size() != 2 || ins[0] != flat || ins[1]->get_type() != "const" || ins[1]->get_fanout_num() != 1 ||
        mm->get_attr<bool>("transpose_a"))
      continue;
    const int H = nhwc[1], W = nhwc[2], C = nhwc[3], K = H * W * C;
    xir::Op* wop = ins[1];
    const std::vector<float> w = const_values(*wop);
    const bool tb = mm->get_attr<bool>("transpose_b");  // [O, K] when true, else [K, O]
    const int O = static_cast<int>(w.size()) / K;
    std::vector<float> ohwi(w.size());
    for (int o = 0; o < O; ++o)
      for (int k = 0; k < K; ++k) ohwi[static_cast<std::size_t>(o) * K + k] = tb ? w[static_cast<std::size_t>(o) * K + k] : w[static_cast<std::size_t>(k) * O + o];
    const std::string name = mm->get_name();
    xir::Op* cw = g.add_op(name + "_conv_weights", "const", const_attrs({O, H, W, C}, ohwi), {});
    auto a = xir::Attrs::create();
    a->set_attr<IV>("kernel", {W, H});
    a->set_attr<IV>("stride", {1, 1});
    a->set_attr<IV>("dilation", {1, 1});
    a->set_attr<IV>("pad", {0, 0, 0, 0});
    a->set_attr<std::string>("pad_mode", "FLOOR");
    a->set_attr<std::int32_t>("group", 1);
    a->set_attr<bool>("bias_term", mm->get_input_op("bias") != nullptr);
    a->set_attr<std::int32_t>("in_dim", C);
    a->set_attr<std::int32_t>("out_dim", O);
    a->set_attr<std::string>("__replaces", name);  // private: reports name the fully connected layer
    std::map<std::string, std::vector<xir::Op*>> cin{{"input", {map}}, {"weights", {cw}}};
    if (xir::Op* b = mm->get_input_op("bias")) cin["bias"] = {b};
    xir::Op* tail = g.add_op(name + "_conv", "conv2d", std::move(a), cin);
    xir::Op* old_tail = mm;
    // An activation right after it is the conv's (the DPU fuses it); the flatten goes after that.
    if (mm->get_fanout_num() == 1 && dpu::is_activation_op(mm->get_fanout_ops()[0]->get_type())) {
      xir::Op* act = mm->get_fanout_ops()[0];
      xir::Op* na = g.add_op(act->get_name() + "_map", act->get_type(), act->get_attrs(), {{"input", {tail}}});
      na->set_attr<std::string>("__replaces", act->get_name());
      tail = na;
      old_tail = act;
    }
    auto fa = xir::Attrs::create();
    fa->set_attr<std::int32_t>("start_axis", 1);
    fa->set_attr<std::int32_t>("end_axis", -1);
    xir::Op* nf = g.add_op(old_tail->get_name() + "_flat", "flatten", std::move(fa), {{"input", {tail}}});
    for (xir::Op* user : old_tail->get_fanout_ops()) user->replace_input_op(old_tail, nf);
    if (old_tail != mm) g.remove_op(old_tail);
    g.remove_op(mm);
    g.remove_op(wop);
    g.remove_op(flat);
    ++count;
  }
  if (count) log.push_back("fully connected layer over a flattened feature map computed as a convolution of the map (" + std::to_string(count) + ")");
}

// Gives conv a bias const when it has none; returns its values.
xir::Op* ensure_bias(xir::Graph& g, xir::Op* conv, int channels) {
  if (xir::Op* b = conv->get_input_op("bias")) return b;
  xir::Op* b = g.add_op(conv->get_name() + "_bias", "const", const_attrs({channels}, std::vector<float>(channels, 0.0f)), {});
  conv->set_input_ops("bias", {b});
  if (conv->has_attr("bias_term")) conv->set_attr<bool>("bias_term", true);
  return b;
}

// conv0 → [act] → conv1, every link with a single consumer, both convolutions dense (group 1) or
// depthwise with multiplier 1, their weights const and not shared, conv1 reading conv0's channels: the
// pairs equalization and the ReLU6 offset absorption rewrite channel by channel. `act` is the op between
// them when `activation(op)` holds for conv0's consumer (nullptr: the convolutions are adjacent).
struct ConvChain {
  xir::Op* act;
  xir::Op* conv1;
  ConvWeights w0, w1;
};
template <typename Activation>
std::optional<ConvChain> conv_chain(xir::Op* conv0, Activation activation) {
  auto dense_or_depthwise = [](const xir::Op* op) {
    return is_conv(op) && (op->get_type() != "conv2d" || op->get_attr_or<std::int32_t>("group", 1) == 1);
  };
  if (!dense_or_depthwise(conv0) || conv0->get_fanout_num() != 1) return std::nullopt;
  xir::Op* act = conv0->get_fanout_ops()[0];
  xir::Op* conv1 = act;
  if (activation(*act)) {
    if (act->get_fanout_num() != 1) return std::nullopt;
    conv1 = act->get_fanout_ops()[0];
  } else {
    act = nullptr;
  }
  if (!dense_or_depthwise(conv1) || conv1->get_input_op("input") == nullptr) return std::nullopt;
  ConvChain c{act, conv1, weights_of(conv0), weights_of(conv1)};
  if ((c.w0.depthwise && c.w0.shape[0] != 1) || (c.w1.depthwise && c.w1.shape[0] != 1)) return std::nullopt;
  if (c.w0.op->get_fanout_num() != 1 || c.w1.op->get_fanout_num() != 1) return std::nullopt;  // shared weights
  if (c.w1.in_channels() != c.w0.out_channels()) return std::nullopt;
  return c;
}

void fold_batchnorms(xir::Graph& g, std::vector<std::string>& log) {
  for (xir::Op* bn : g.topological_sort()) {
    if (bn->get_type() != "batchnorm") continue;
    const std::string name = bn->get_name();  // bn is removed below
    xir::Op* conv = bn->get_input_op("input");
    auto gamma = const_values(*bn->get_input_op("gamma")), beta = const_values(*bn->get_input_op("beta"));
    auto mean = const_values(*bn->get_input_op("moving_mean")), var = const_values(*bn->get_input_op("moving_var"));
    const float eps = bn->get_attr<float>("epsilon");
    if (!is_conv(conv) || conv->get_fanout_num() != 1) {
      // BatchNorm after no convolution (DenseNet's BN → ReLU → Conv): a channel-wise scale and shift,
      // which the DPU runs as a 1×1 depthwise convolution: w[c] = γ/√(σ²+ε), b[c] = β − μ·w[c].
      const auto& shape = bn->get_output_tensor()->get_shape();
      const int c = static_cast<int>(gamma.size());
      if (shape.size() != 4 || shape[3] != c)
        throw std::runtime_error("batchnorm '" + bn->get_name() + "' is not over the channels of a 4-D feature map; it is not supported");
      std::vector<float> w(c), b(c);
      for (int i = 0; i < c; ++i) {
        w[i] = gamma[i] / std::sqrt(var[i] + eps);
        b[i] = beta[i] - mean[i] * w[i];
      }
      xir::Op* wop = g.add_op(bn->get_name() + "_dw_weights", "const", const_attrs({1, 1, 1, c}, w), {});
      xir::Op* bop = g.add_op(bn->get_name() + "_dw_bias", "const", const_attrs({c}, b), {});
      auto a = xir::Attrs::create();
      a->set_attr<std::vector<std::int32_t>>("kernel", {1, 1});
      a->set_attr<std::vector<std::int32_t>>("stride", {1, 1});
      a->set_attr<std::string>("pad_mode", "FLOOR");
      a->set_attr<std::string>("__replaces", name);  // private: reports name the BatchNorm (see lower.cpp)
      xir::Op* dw = g.add_op(bn->get_name() + "_dw", "depthwise-conv2d", std::move(a), {{"input", {conv}}, {"weights", {wop}}, {"bias", {bop}}});
      redirect(bn, dw);
      std::vector<xir::Op*> params{bn->get_input_op("gamma"), bn->get_input_op("beta"), bn->get_input_op("moving_mean"), bn->get_input_op("moving_var")};
      g.remove_op(bn);
      for (xir::Op* p : params) remove_if_unused(g, p);
      log.push_back("batchnorm '" + name + "' after no convolution: a channel-wise 1×1 depthwise convolution");
      continue;
    }
    ConvWeights cw = weights_of(conv);
    const int oc = cw.out_channels();
    xir::Op* bop = ensure_bias(g, conv, oc);
    auto bias = const_values(*bop);
    for (int o = 0; o < oc; ++o) {
      const float s = gamma[o] / std::sqrt(var[o] + eps);
      cw.for_output(o, [&](float& v) { v *= s; });
      bias[o] = bias[o] * s + (beta[o] - mean[o] * s);
    }
    set_const_values(*cw.op, cw.w);
    set_const_values(*bop, bias);
    redirect(bn, conv);
    std::vector<xir::Op*> params = bn->get_input_tensors().empty() ? std::vector<xir::Op*>{} : std::vector<xir::Op*>{
        bn->get_input_op("gamma"), bn->get_input_op("beta"), bn->get_input_op("moving_mean"), bn->get_input_op("moving_var")};
    g.remove_op(bn);
    for (xir::Op* p : params) remove_if_unused(g, p);
    log.push_back("folded batchnorm '" + name + "' into '" + conv->get_name() + "'");
  }
}

void replace_relu6(xir::Graph& g, bool keep_after_depthwise, std::vector<std::string>& log) {
  int count = 0, kept = 0;
  for (xir::Op* op : g.topological_sort()) {
    if (!dpu::is_relu6(*op)) continue;
    if (keep_after_depthwise && op->get_input_op("input")->get_type() == "depthwise-conv2d") {
      ++kept;
      continue;
    }
    xir::Op* relu = g.add_op(op->get_name() + "_relu", "relu", nullptr, {{"input", {op->get_input_op("input")}}});
    redirect(op, relu);
    g.remove_op(op);
    ++count;
  }
  if (count) log.push_back("ReLU6 has been replaced by ReLU (" + std::to_string(count) + " ops)");
  if (kept)
    log.push_back("relu6_replace keep_after_depthwise: " + std::to_string(kept) +
                  " ReLU6 after depthwise convolutions kept (equalization does not cross them)");
}

void force_leaky_slope(xir::Graph& g, std::vector<std::string>& log) {
  const float dpu_slope = dpu::kLeakySlope;
  for (xir::Op* op : g.topological_sort()) {
    if (op->get_type() != "leaky-relu" || op->get_attr<float>("alpha") == dpu_slope) continue;
    log.push_back("LeakyReLU '" + op->get_name() + "': slope " + std::to_string(op->get_attr<float>("alpha")) +
                  " changed to 0.1015625 (the DPU supports only 26/256)");
    op->set_attr<float>("alpha", dpu_slope);
  }
}

// Weights that read a channel which is exactly 0 on every calibration image (a ReLU that never fires)
// contribute nothing; left in, they can set a tensor's range (MobileNetV1 QAT: a depthwise weight of
// −68 on a dead channel, live ones ≤ 3.3, so fix point 0 instead of 5) and mislead equalization.
// They become 0: exact on the calibration data.
void zero_dead_input_channels(xir::Graph& g, const ChannelStats& stats, std::vector<std::string>& log) {
  int channels = 0, layers = 0;
  for (xir::Op* conv : g.topological_sort()) {
    if (!is_conv(conv) || (conv->get_type() == "conv2d" && conv->get_attr_or<std::int32_t>("group", 1) != 1)) continue;
    const ChannelStat* in = input_stat(stats, *conv);
    if (!in) continue;
    ConvWeights w = weights_of(conv);
    if (w.depthwise && w.shape[0] != 1) continue;
    if (static_cast<std::size_t>(w.in_channels()) != in->max.size() || w.op->get_fanout_num() != 1) continue;
    int zeroed = 0;
    for (int c = 0; c < w.in_channels(); ++c) {
      if (!in->dead(static_cast<std::size_t>(c))) continue;
      bool nonzero = false;
      w.for_input(c, [&](float& v) { nonzero = nonzero || v != 0.0f; v = 0.0f; });
      zeroed += nonzero;
    }
    if (!zeroed) continue;
    set_const_values(*w.op, w.w);
    channels += zeroed;
    ++layers;
  }
  if (channels)
    log.push_back("weights reading " + std::to_string(channels) + " channels that are 0 on every calibration image set to 0 (" +
                  std::to_string(layers) + " layers)");
}

// Offsets under a ReLU6 absorbed where one channel sets the next layer's weight range (DFQ's high-bias
// absorption, Nagel et al. 2019 §4.1, kept in ReLU6 form). conv0 → ReLU6 → conv1; conv0's channel c
// never falls below beta > 0 on the calibration images (a ReLU6 input living in [beta, …]): then
//   relu6(z) = beta + relu6(s·(z − beta)) / s,   s = 6 / (6 − beta),
// so conv0's channel c computes s·(z − beta) (weights and bias ×s, bias −s·beta), its ReLU6 stays,
// and conv1 reads it with weights w/s and bias + beta·Σw. Such a channel carries a small swing on a
// large offset, and its consumer weights are large to read the swing (MobileNetV1 0.5's op5: −11.2 at
// the centre tap, every other channel of the layer ≤ 7.5, so weight fix point 3 instead of 4 for all;
// 11 channels in 9 layers of DeepLabV3). Done channel by channel from the one with conv1's largest weights while
// that channel qualifies and conv0's own weight range does not grow. Exact on the calibration data
// where conv1's window lies inside the image; where it meets the padding, conv1 now adds beta·w for the
// padded taps (the padded zeros stood for x = 0 there) — measured (int8 vs float output SQNR on 32
// calibration images): MobileNetV1 0.5 14.27 → 16.45 dB, MobileNetV2 14.71 → 15.68 dB; DeepLabV3 label
// agreement 93.73% → 96.36% calibrated on 8 photos (96.95% → 96.59% on 100). The statistics of conv0's
// and the ReLU6's values follow (shifted and scaled); conv1's own statistics stay the original
// network's (bias correction's reference).
constexpr float kMinOffset = 0.3f;   // beta below this: s < 1.053, nothing to win
constexpr float kMaxOffset = 5.95f;  // beyond: the channel is all but the constant 6 (s > 120)
void absorb_relu6_offsets(xir::Graph& g, ChannelStats& stats, std::vector<std::string>& log) {
  int channels = 0, layers = 0;
  for (xir::Op* conv0 : g.topological_sort()) {
    auto chain = conv_chain(conv0, [](const xir::Op& op) { return dpu::is_relu6(op); });
    if (!chain || !chain->act) continue;
    xir::Op *act = chain->act, *conv1 = chain->conv1;
    ConvWeights &w0 = chain->w0, &w1 = chain->w1;
    auto z = stats.find(conv0->get_name()), x = stats.find(act->get_name());
    xir::Op* b0op = conv0->get_input_op("bias");
    if (z == stats.end() || x == stats.end() || !b0op) continue;
    const int C = w0.out_channels();
    if (z->second.min.size() != static_cast<std::size_t>(C) || x->second.min.size() != z->second.min.size()) continue;
    std::vector<float> r1(C, 0.0f);  // conv1's largest |weight| reading each channel
    for (int c = 0; c < C; ++c) w1.for_input(c, [&](float& v) { r1[c] = std::max(r1[c], std::fabs(v)); });
    float range0 = 0.0f;
    for (float v : w0.w) range0 = std::max(range0, std::fabs(v));
    std::vector<float> b0 = const_values(*b0op);
    std::vector<float> b1;
    xir::Op* b1op = nullptr;
    const auto shape = conv0->get_output_tensor()->get_shape();
    const double positions = shape.size() == 4 ? static_cast<double>(shape[1]) * shape[2] : 1.0;  // per image
    std::vector<bool> done(C, false);
    int here = 0;
    for (;;) {
      const int c = static_cast<int>(std::max_element(r1.begin(), r1.end()) - r1.begin());
      const float beta = z->second.min[c];
      if (done[c] || !(beta >= kMinOffset && beta < kMaxOffset)) break;
      const float s = 6.0f / (6.0f - beta);
      float r0 = 0.0f;
      w0.for_output(c, [&](float& v) { r0 = std::max(r0, std::fabs(v)); });
      if (r0 * s > range0) break;
      if (!b1op) {
        b1op = ensure_bias(g, conv1, w1.out_channels());
        b1 = const_values(*b1op);
      }
      w0.for_output(c, [&](float& v) { v *= s; });
      b0[c] = s * (b0[c] - beta);
      std::vector<double> sums(static_cast<std::size_t>(w1.shape[0]), 0.0);  // conv1's output o (depthwise: channel c) reads channel c
      w1.for_input(c, [&](int o, float& v) {
        sums[static_cast<std::size_t>(o)] += v;
        v /= s;
      });
      for (int o = 0; o < w1.shape[0]; ++o) b1[w1.depthwise ? c : o] += static_cast<float>(beta * sums[static_cast<std::size_t>(o)]);
      z->second.shift_scale_channel(c, beta, s, positions);
      x->second.shift_scale_channel(c, beta, s, positions);  // the ReLU6 value too: z ≥ beta, so relu6(z) − beta = z − beta below the clip
      done[c] = true;
      r1[c] /= s;
      ++here;
    }
    if (!here) continue;
    set_const_values(*w0.op, w0.w);
    set_const_values(*w1.op, w1.w);
    set_const_values(*b0op, b0);
    set_const_values(*b1op, b1);
    channels += here;
    ++layers;
  }
  char min_offset[16];
  std::snprintf(min_offset, sizeof min_offset, "%g", kMinOffset);
  if (channels)
    log.push_back("offsets of " + std::to_string(channels) + " ReLU6 channels that never fall below " + min_offset + " on the calibration images " +
                  "absorbed into the next layer, whose weight range they set (" + std::to_string(layers) + " layers)");
}

// One CLE pass over pairs conv0 → [relu] → conv1 where every link has a single consumer. With
// calibration statistics, also across a ReLU6 (ours): channel c may be scaled by 1/s when its clip
// never binds before or after, i.e. its calibration maximum m_c < 6 and m_c / s ≤ 6 · kClipHeadroom;
// then relu6(x / s) = relu6(x) / s on the data. Channels that reach 6 keep s = 1.
constexpr float kClipHeadroom = 1.0f;
void equalize(xir::Graph& g, ChannelStats* stats, std::vector<std::string>& log) {
  int pairs = 0, relu6_pairs = 0;
  for (xir::Op* conv0 : g.topological_sort()) {
    auto chain = conv_chain(conv0, [stats](const xir::Op& op) { return op.get_type() == "relu" || (stats && dpu::is_relu6(op)); });
    if (!chain) continue;
    xir::Op* next = chain->conv1;
    const ChannelStat* clip = nullptr;  // the ReLU6's statistics when the pair is joined by one
    std::vector<std::string> scaled{conv0->get_name()};  // the values channel c's 1/s scales
    if (chain->act) {
      scaled.push_back(chain->act->get_name());
      if (chain->act->get_type() != "relu") {
        auto it = stats->find(chain->act->get_name());
        if (it == stats->end()) continue;
        clip = &it->second;
      }
    }
    ConvWeights &w0 = chain->w0, &w1 = chain->w1;
    const int channels = w0.out_channels();
    xir::Op* b0op = conv0->get_input_op("bias");
    std::vector<float> b0 = b0op ? const_values(*b0op) : std::vector<float>();
    std::vector<float> r0(channels, 0.0f), r1(channels, 0.0f);
    float target = 0.0f;  // the largest equalized range among live channels
    for (int c = 0; c < channels; ++c) {
      w0.for_output(c, [&](float& v) { r0[c] = std::max(r0[c], std::fabs(v)); });
      w1.for_input(c, [&](float& v) { r1[c] = std::max(r1[c], std::fabs(v)); });
      if (r0[c] > 0.0f) target = std::max(target, std::sqrt(r0[c] * r1[c]));
    }
    if (clip && clip->max.size() != static_cast<std::size_t>(channels)) continue;
    const bool through_relu = conv0->get_fanout_ops()[0]->get_type() == "relu";
    std::vector<float> scale(channels, 1.0f);
    for (int c = 0; c < channels; ++c) {
      float s;
      if (clip) {
        const float m = clip->max[c];
        if (m >= 6.0f * kClipHeadroom || r0[c] * r1[c] == 0.0f) continue;
        s = std::max(r0[c] / std::sqrt(r0[c] * r1[c]), m / (6.0f * kClipHeadroom));
      } else if (r0[c] == 0.0f && r1[c] > target && target > 0.0f && (through_relu || next == conv0->get_fanout_ops()[0])) {
        // A dead channel (all-zero weights: the channel is the constant act(bias)). Nagel's formula
        // leaves it alone (s = 1), but then its consumer's weights can dwarf every other channel of
        // the tensor. Any s > 0 is exact here (relu(b/s)·s = relu(b)); bring it to the others' range.
        s = target / r1[c];
      } else {
        if (r0[c] * r1[c] == 0.0f || r0[c] + r1[c] < 0.5f) continue;
        s = r0[c] / std::sqrt(r0[c] * r1[c]);
      }
      w0.for_output(c, [&](float& v) { v /= s; });
      if (!b0.empty()) b0[c] /= s;
      w1.for_input(c, [&](float& v) { v *= s; });
      scale[c] = s;
    }
    if (stats)
      for (const std::string& name : scaled) {
        auto it = stats->find(name);
        if (it != stats->end() && it->second.max.size() == static_cast<std::size_t>(channels)) it->second.scale_channels(scale);
      }
    set_const_values(*w0.op, w0.w);
    set_const_values(*w1.op, w1.w);
    if (b0op) set_const_values(*b0op, b0);
    ++pairs;
    relu6_pairs += clip != nullptr;
  }
  if (pairs)
    log.push_back("cross-layer equalization over " + std::to_string(pairs) + " conv pairs" +
                  (relu6_pairs ? " (" + std::to_string(relu6_pairs) + " across a ReLU6, on channels whose clip does not bind)" : ""));
}

// SiLU as exported (mul(x, sigmoid(x))) → mul(x, hard-sigmoid(x)): the sigmoid becomes a hard-sigmoid.
void silu_to_hswish(xir::Graph& graph, std::vector<std::string>& log) {
  int converted = 0;
  for (xir::Op* op : graph.topological_sort()) {
    if (op->get_type() != "sigmoid" || op->get_fanout_num() != 1) continue;
    xir::Op* mul = op->get_fanout_ops()[0];
    const xir::Op* x = op->get_input_op("input");
    const auto ins = mul->get_input_ops("input");
    if (mul->get_type() != "mul" || ins.size() != 2 || std::find(ins.begin(), ins.end(), x) == ins.end()) continue;
    const std::string name = op->get_name();
    xir::Op* h = graph.add_op(name + "_hsigmoid", "hard-sigmoid", xir::Attrs::create(), {{"input", {const_cast<xir::Op*>(x)}}});
    h->set_attr<std::string>("__replaces", name);
    mul->replace_input_op(op, h);
    graph.remove_op(op);
    ++converted;
  }
  if (converted) log.push_back("convert_silu_to_hswish: " + std::to_string(converted) + " SiLU (x * sigmoid(x)) now x * hard-sigmoid(x)");
}

}  // namespace

std::vector<std::string> prepare_graph(xir::Graph& graph, const PrepareOptions& options) {
  std::vector<std::string> log;
  fold_pads(graph, log);
  absorb_flatten_transposes(graph, log);
  fc_over_map_as_conv(graph, log);
  fold_batchnorms(graph, log);
  // "keep", or an unresolved "auto" (dpu-inspect; the quantizer resolves it first): ReLU6 stays.
  const bool replace = options.relu6_replace == "relu" || options.relu6_replace == "keep_after_depthwise" || options.convert_relu6_to_relu;
  if ((options.include_cle || options.convert_relu6_to_relu) && replace)
    replace_relu6(graph, options.relu6_replace == "keep_after_depthwise", log);
  force_leaky_slope(graph, log);
  if (options.convert_silu_to_hswish) silu_to_hswish(graph, log);
  ChannelStats stats;
  if (options.channel_stats) {
    stats = options.channel_stats(graph);
    zero_dead_input_channels(graph, stats, log);
    if (options.absorb_relu6_offsets) absorb_relu6_offsets(graph, stats, log);
  }
  if (options.include_cle) equalize(graph, options.channel_stats ? &stats : nullptr, log);
  if (options.prepared_stats) *options.prepared_stats = std::move(stats);
  return log;
}


}  // namespace dputk
