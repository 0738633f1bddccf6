#include "dputk/engine/conv_kernel.hpp"

#include <vector>

#include "kernels/fast/dnnl_conv.hpp"

namespace dputk::engine {

struct FloatConv::Impl {
  ref::Window2d g;
  bool depthwise;
  std::vector<float> weights, bias;
  std::unique_ptr<fast::DnnlConv> dnnl;
};

FloatConv::FloatConv(const ref::Window2d& g, bool depthwise, const float* weights, const float* bias, bool fast)
    : impl_(std::make_unique<Impl>()) {
  impl_->g = g;
  impl_->depthwise = depthwise;
  const std::size_t wcount = depthwise ? static_cast<std::size_t>(g.multiplier) * g.kh * g.kw * g.c
                                       : static_cast<std::size_t>(g.oc) * g.kh * g.kw * (g.c / g.group);
  impl_->weights.assign(weights, weights + wcount);
  if (bias) impl_->bias.assign(bias, bias + g.oc);
  if (fast) impl_->dnnl = std::make_unique<fast::DnnlConv>(g, depthwise, weights, bias, ref::ActivationParams{}, false);
}
FloatConv::~FloatConv() = default;

void FloatConv::run(const float* in, float* out, int batch) {
  if (impl_->dnnl) return impl_->dnnl->run(in, out, batch);
  ref::Window2d g = impl_->g;
  g.n = batch;
  const float* b = impl_->bias.empty() ? nullptr : impl_->bias.data();
  if (impl_->depthwise) ref::depthwise_conv2d(in, impl_->weights.data(), b, out, g);
  else ref::conv2d(in, impl_->weights.data(), b, out, g);
}

}  // namespace dputk::engine
