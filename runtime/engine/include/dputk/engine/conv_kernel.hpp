// A float convolution (NHWC, XIR weight layouts) callable directly, oneDNN or reference: used where
// the quantizer needs a layer computed outside the graph (bias correction).
#pragma once
#include <memory>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine {

class FloatConv {
 public:
  FloatConv(const ref::Window2d& geometry, bool depthwise, const float* weights, const float* bias, bool fast = true);
  ~FloatConv();
  void run(const float* in, float* out, int batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dputk::engine
