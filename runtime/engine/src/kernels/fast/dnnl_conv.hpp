// Fast float convolution with oneDNN (NHWC activations), with the activation and the residual add
// fused as post-ops. Primitives are built lazily per batch size and cached.
#pragma once
#include <map>
#include <memory>
#include <mutex>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::fast {

class DnnlConv {
 public:
  // weights in XIR layout: OHWI ([OC,KH,KW,C/group]) or, for depthwise, [multiplier,KH,KW,C].
  // geometry.n is ignored (batch comes with each run).
  DnnlConv(const ref::Window2d& geometry, bool depthwise, const float* weights, const float* bias,
           const ref::ActivationParams& act, bool accumulate);
  ~DnnlConv();
  // out must already hold the addend when constructed with accumulate = true.
  void run(const float* in, float* out, int batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dputk::engine::fast
