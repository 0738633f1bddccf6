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
  // How backward() computes the weights' gradient:
  //  - F32: in float32.
  //  - BF16_WHERE_NATIVE: from bfloat16 inputs and gradients with float32 sums, where the CPU has
  //    bfloat16 dot products (AVX512-BF16; twice float32's rate), else as F32. An input on an int8
  //    grid (a fix op's output) is exact in bfloat16; the output gradient is rounded to 8 significant
  //    bits, so each product's relative error is at most 2^-8.
  enum class Gradient { F32, BF16_WHERE_NATIVE };

  // g.n is ignored: the batch comes with each call.
  ConvGradient(const ref::Window2d& g, bool depthwise, Gradient gradient = Gradient::F32);
  ~ConvGradient();
  ConvGradient(const ConvGradient&) = delete;
  ConvGradient& operator=(const ConvGradient&) = delete;

  // y = conv(x, w) + b over `batch` images (b null: no bias).
  void forward(const float* x, const float* w, const float* b, float* y, int batch);
  // The same where x holds int8 multiples of 2^-fx (a fix op's output) and w int8 multiples of 2^-fw:
  // the sums Σ X·W of the integers are exact (oneDNN's int8 convolution), then y = 2^-(fx+fw)·(Σ X·W +
  // b·2^(fx+fw)) in float32. Runs forward() where the installed oneDNN fails the int8 probes
  // (dnnl_dpu_conv.hpp).
  void forward_fixed(const float* x, int fx, const float* w, int fw, const float* b, float* y, int batch);
  // dw = ∂L/∂w and db = ∂L/∂b (overwritten; db may be null), given dy = ∂L/∂y on images x.
  void backward(const float* x, const float* dy, float* dw, float* db, int batch);
  // Whether backward() runs in bfloat16.
  bool bf16_gradient() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dputk::engine
