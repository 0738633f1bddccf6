// Plain reference implementations of the float semantics of each XIR op (NHWC, XIR conventions).
// They are the specification the fast kernels are tested against, and the fallback for every op
// without a fast kernel. Every function is a pure loop over raw arrays.
#pragma once
#include <cstdint>
#include <vector>

namespace dputk::engine::ref {

// Geometry of a 2-D window op on NHWC data.
struct Window2d {
  int n = 1, h = 0, w = 0, c = 0;      // input
  int oh = 0, ow = 0, oc = 0;          // output
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int pad_top = 0, pad_left = 0;       // bottom/right padding is implied by oh/ow
  int group = 1;                       // conv: channel groups
  int multiplier = 1;                  // depthwise conv: outputs per input channel
};

enum class Activation { NONE, RELU, RELU6, CLAMP, LEAKY_RELU };
struct ActivationParams {
  Activation kind = Activation::NONE;
  float lo = 0.0f, hi = 0.0f;   // CLAMP bounds
  float alpha = 0.0f;           // LEAKY_RELU slope
  // Each kind's formula, stated once: apply() and the array loop of activation() (one loop per kind,
  // which vectorizes) both take it from here.
  template <Activation K>
  float apply_as(float v) const {
    if constexpr (K == Activation::RELU) return v > 0.0f ? v : 0.0f;
    else if constexpr (K == Activation::RELU6) return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    else if constexpr (K == Activation::CLAMP) return v < lo ? lo : (v > hi ? hi : v);
    else if constexpr (K == Activation::LEAKY_RELU) return v >= 0.0f ? v : v * alpha;
    else return v;
  }
  // Its derivative, as torch's backward passes take it (at a bound: clamps pass the gradient, ReLU
  // does not; leaky ReLU has slope alpha at 0). Fast finetune's gradients (quantizer/src/finetune_loss).
  template <Activation K>
  float slope_as(float v) const {
    if constexpr (K == Activation::RELU) return v > 0.0f ? 1.0f : 0.0f;
    else if constexpr (K == Activation::RELU6) return v >= 0.0f && v <= 6.0f ? 1.0f : 0.0f;
    else if constexpr (K == Activation::CLAMP) return v >= lo && v <= hi ? 1.0f : 0.0f;
    else if constexpr (K == Activation::LEAKY_RELU) return v > 0.0f ? 1.0f : alpha;
    else return 1.0f;
  }
  float apply(float v) const {
    switch (kind) {
      case Activation::RELU: return apply_as<Activation::RELU>(v);
      case Activation::RELU6: return apply_as<Activation::RELU6>(v);
      case Activation::CLAMP: return apply_as<Activation::CLAMP>(v);
      case Activation::LEAKY_RELU: return apply_as<Activation::LEAKY_RELU>(v);
      default: return v;
    }
  }
};

// weights OHWI ([OC, KH, KW, C/group]); bias may be null.
void conv2d(const float* in, const float* weights, const float* bias, float* out, const Window2d& g,
            const ActivationParams& act = {});
// weights [multiplier, KH, KW, C]; output channel = c * multiplier + m.
void depthwise_conv2d(const float* in, const float* weights, const float* bias, float* out, const Window2d& g,
                      const ActivationParams& act = {});
void maxpool2d(const float* in, float* out, const Window2d& g);
// count_include_pad: divide by the full kernel area (padding counts as zeros) rather than the valid area.
void avgpool2d(const float* in, float* out, const Window2d& g, bool count_include_pad);

// y[m, n] = x[m, :] · W + bias, W [K, N] or (transpose_b) [N, K].
void matmul(const float* x, const float* w, const float* bias, float* y, int m, int k, int n, bool transpose_b);

void activation(const float* in, float* out, std::int64_t count, const ActivationParams& act);

// Numpy-style broadcasting binary op; kind: 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min.
void broadcast_binary(int kind, const float* a, const std::vector<std::int32_t>& sa, const float* b,
                      const std::vector<std::int32_t>& sb, float* out, const std::vector<std::int32_t>& so);

void concat(const std::vector<const float*>& ins, const std::vector<std::vector<std::int32_t>>& shapes, int axis,
            float* out);
void pad(const float* in, const std::vector<std::int32_t>& shape, const std::vector<std::int32_t>& paddings,
         bool reflect, float value, float* out);
void strided_slice(const float* in, const std::vector<std::int32_t>& shape, const std::vector<std::int32_t>& begin,
                   const std::vector<std::int32_t>& strides, const std::vector<std::int32_t>& out_shape, float* out);
void transpose(const float* in, const std::vector<std::int32_t>& shape, const std::vector<std::int32_t>& order,
               float* out);
void softmax(const float* in, const std::vector<std::int32_t>& shape, int axis, float* out);
void batchnorm(const float* in, std::int64_t count, int channels, const float* gamma, const float* beta,
               const float* mean, const float* var, float epsilon, float* out);

}  // namespace dputk::engine::ref
