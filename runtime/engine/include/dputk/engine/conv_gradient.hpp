// A float convolution and the gradient of a loss with respect to its weights and bias, on oneDNN:
// NHWC activations, weights in XIR layout (conv OHWI, depthwise [multiplier, KH, KW, C]; a matmul is
// a 1×1 convolution of a 1×1 image). What fast finetune trains a layer with, forward and backward.
#pragma once
#include <memory>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine {

// One caller at a time (the primitives per batch size are built on first use, without a lock).
class ConvGradient {
 public:
  // g.n is ignored: the batch comes with each call.
  ConvGradient(const ref::Window2d& g, bool depthwise);
  ~ConvGradient();
  ConvGradient(const ConvGradient&) = delete;
  ConvGradient& operator=(const ConvGradient&) = delete;

  // y = conv(x, w) + b over `batch` images (b null: no bias).
  void forward(const float* x, const float* w, const float* b, float* y, int batch);
  // dw = ∂L/∂w and db = ∂L/∂b (overwritten; db may be null), given dy = ∂L/∂y on images x.
  void backward(const float* x, const float* dy, float* dw, float* db, int batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dputk::engine
