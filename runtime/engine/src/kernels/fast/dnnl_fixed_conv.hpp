// A float convolution whose input and weights are fix-quantized (calibration's fake-quant graph):
// x = X·2^-fx, w = W·2^-fw with int8 X, W. Then conv(x, w) + b = 2^-(fx+fw)·(Σ X·W + b·2^(fx+fw)),
// which one oneDNN int8 primitive computes (VNNI) with the sum exact in int32 — the real-number value
// that a float32 convolution approximates — then the f32 bias, the scale, the residual add and the
// activation as post-ops. oneDNN 2.x adds the bias before the output scale (checked by the DPU
// convolution's probe); where a probe disagrees, create() declines and the float convolution runs.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::fast {

class CachedConv;

// The int8 form of conv(x, w) + b for x = X·2^-fx, w = W·2^-fw (k = fx + fw), shared by DnnlFixedConv
// and fast finetune's ConvGradient::forward_fixed:
//  - X (or W) from x: values on the int8 grid of fix point fp, quantized exactly;
//  - the bias oneDNN adds to Σ X·W before its output scale: b·2^k (exact: a power of two; b null: 0);
//  - the output scale 2^-k, with the given post-ops.
void int8_on_grid(const float* x, std::int64_t n, int fp, std::int8_t* out);
std::vector<float> fixed_conv_bias(const float* b, int oc, int k);
dnnl::primitive_attr fixed_conv_attr(int k, const dnnl::post_ops& post_ops = dnnl::post_ops());

class DnnlFixedConv {
 public:
  // weights/bias: the fake-quantized float values (XIR layout). nullptr when a weight is not an int8
  // multiple of 2^-fw, or the installed oneDNN fails the probes.
  static std::unique_ptr<DnnlFixedConv> create(const ref::Window2d& g, bool depthwise, const float* weights, int fw,
                                               const float* bias, const ref::ActivationParams& act, bool accumulate,
                                               bool non_negative_input);
  ~DnnlFixedConv();
  // `in` holds int8 multiples of 2^-fx (the input fix op's output); out as DnnlConv::run.
  void run(const float* in, int fx, float* out, int batch);
  // The float weights it was made from (each int8 weight · 2^-fw: exact).
  std::vector<float> float_weights() const;

 private:
  DnnlFixedConv() = default;
  ref::Window2d g_;
  bool depthwise_ = false, accumulate_ = false, unsigned_ = false;
  int fw_ = 0;
  ref::ActivationParams act_;
  std::shared_ptr<const std::vector<char>> weights_;  // int8, shared by the convolutions of every fx
  std::vector<float> bias_;
  std::map<int, std::unique_ptr<CachedConv>> by_fx_;  // the scale and bias depend on fx
};

}  // namespace dputk::engine::fast
