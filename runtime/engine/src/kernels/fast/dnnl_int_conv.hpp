// Fast exact int8 convolution accumulators with oneDNN: s8 activations × s8 weights → s32, no bias,
// no post-ops. The DPU's bias/shift/round/saturate is applied afterwards by dpu::conv_output, so
// the result is bit-equal to the reference loops.
#pragma once
#include <cstdint>
#include <memory>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::fast {

class DnnlIntConv {
 public:
  DnnlIntConv(const ref::Window2d& geometry, bool depthwise, const std::int8_t* weights);
  ~DnnlIntConv();
  void run(const std::int8_t* in, std::int32_t* acc, int batch);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dputk::engine::fast
