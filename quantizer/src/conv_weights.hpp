// Per-channel access to a convolution's const weights, for the graph rewrites that work channel by
// channel (prepare.cpp, outlier_split.cpp). Internal to the quantizer library.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "dputk/quantizer/const_data.hpp"
#include "xir/op/op.hpp"

namespace dputk {

inline bool is_conv(const xir::Op* op) { return op->get_type() == "conv2d" || op->get_type() == "depthwise-conv2d"; }

// Output channel count and per-output-channel access to conv weights.
struct ConvWeights {
  xir::Op* op;
  std::vector<float> w;
  std::vector<std::int32_t> shape;
  bool depthwise;
  int out_channels() const { return depthwise ? shape[0] * shape[3] : shape[0]; }
  int in_channels() const { return depthwise ? shape[3] : shape[3]; }
  // Index list of output channel o's weights.
  template <typename Fn>
  void for_output(int o, Fn fn) {
    const int kh = shape[1], kw = shape[2];
    if (depthwise) {
      const int m = shape[0], c = shape[3];
      const int ch = o / m, mm = o % m;
      for (int y = 0; y < kh; ++y)
        for (int x = 0; x < kw; ++x) fn(w[((static_cast<std::size_t>(mm) * kh + y) * kw + x) * c + ch]);
    } else {
      const std::size_t per = static_cast<std::size_t>(kh) * kw * shape[3];
      for (std::size_t i = 0; i < per; ++i) fn(w[o * per + i]);
    }
  }
  // Weights that read input channel c: fn(w), or fn(o, w) with o the weights' outer index (the output
  // channel of a dense convolution; a depthwise one's channel multiplier).
  template <typename Fn>
  void for_input(int c, Fn fn) {
    const int kh = shape[1], kw = shape[2], ic = shape[3];
    const int outer = shape[0];
    for (int o = 0; o < outer; ++o)
      for (int y = 0; y < kh; ++y)
        for (int x = 0; x < kw; ++x) {
          float& v = w[((static_cast<std::size_t>(o) * kh + y) * kw + x) * ic + c];
          if constexpr (std::is_invocable_v<Fn, int, float&>)
            fn(o, v);
          else
            fn(v);
        }
  }
};

inline ConvWeights weights_of(xir::Op* conv) {
  xir::Op* w = conv->get_input_op("weights");
  if (!w || w->get_type() != "const") throw std::runtime_error("conv '" + conv->get_name() + "': weights are not a const op");
  return {w, const_values(*w), w->get_output_tensor()->get_shape(), conv->get_type() == "depthwise-conv2d"};
}

}  // namespace dputk
