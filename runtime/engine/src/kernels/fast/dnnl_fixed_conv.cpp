#include "dnnl_fixed_conv.hpp"

#include <cmath>

#include "dnnl_conv_cache.hpp"
#include "dnnl_dpu_conv.hpp"
#include "dnnl_engine.hpp"
#include "dputk/dpu/fix_math.hpp"

namespace dputk::engine::fast {

using dt = dnnl::memory::data_type;

std::unique_ptr<DnnlFixedConv> DnnlFixedConv::create(const ref::Window2d& g, bool depthwise, const float* weights, int fw,
                                                     const float* bias, const ref::ActivationParams& act, bool accumulate,
                                                     bool non_negative_input) {
  if (!dnnl_dpu_conv_probe() || (!non_negative_input && !dnnl_dpu_conv_signed_probe())) return nullptr;
  if (fw < -20 || fw > 30) return nullptr;
  const std::size_t count = depthwise ? static_cast<std::size_t>(g.multiplier) * g.kh * g.kw * g.c
                                      : static_cast<std::size_t>(g.oc) * g.kh * g.kw * (g.c / g.group);
  std::unique_ptr<DnnlFixedConv> c(new DnnlFixedConv());
  std::vector<char> w(count);
  const float scale = std::ldexp(1.0f, fw);
  for (std::size_t i = 0; i < count; ++i) {
    const float q = weights[i] * scale;
    if (q != std::nearbyint(q) || q < -128.0f || q > 127.0f) return nullptr;  // not on the int8 grid
    w[i] = static_cast<char>(static_cast<std::int8_t>(q));
  }
  c->weights_ = std::make_shared<const std::vector<char>>(std::move(w));
  c->bias_.assign(static_cast<std::size_t>(g.oc), 0.0f);
  if (bias) c->bias_.assign(bias, bias + g.oc);
  c->g_ = g;
  c->depthwise_ = depthwise;
  c->accumulate_ = accumulate;
  c->unsigned_ = non_negative_input;
  c->fw_ = fw;
  c->act_ = act;
  return c;
}

DnnlFixedConv::~DnnlFixedConv() = default;

std::vector<float> DnnlFixedConv::float_weights() const {
  std::vector<float> w(weights_->size());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::ldexp(static_cast<float>(static_cast<std::int8_t>((*weights_)[i])), -fw_);
  return w;
}

void DnnlFixedConv::run(const float* in, int fx, float* out, int batch) {
  auto& conv = by_fx_[fx];
  if (!conv) {
    const int k = fx + fw_;
    conv = std::make_unique<CachedConv>(g_, depthwise_, unsigned_ ? dt::u8 : dt::s8, dt::s8, dt::f32, weights_,
                                        fixed_conv_bias(bias_.data(), g_.oc, k), fixed_conv_attr(k, conv_post_ops(act_, accumulate_)));
  }
  const std::int64_t n = static_cast<std::int64_t>(batch) * g_.h * g_.w * g_.c;
  // One int8 input buffer per thread for all of them (one each: ResNet50's, 8 images, 64 MB).
  thread_local std::vector<std::int8_t> input;
  input.resize(static_cast<std::size_t>(n));
  int8_on_grid(in, n, fx, input.data());
  conv->run(input.data(), out, batch);
}

void int8_on_grid(const float* x, std::int64_t n, int fp, std::int8_t* out) {
  dpu::quantize_array(x, n, dpu::FixSpec{fp, 8, true, dpu::RoundMode::DPU_ROUND}, out);  // exact: on the grid
}

std::vector<float> fixed_conv_bias(const float* b, int oc, int k) {
  std::vector<float> beta(static_cast<std::size_t>(oc), 0.0f);
  if (b)
    for (int i = 0; i < oc; ++i) beta[static_cast<std::size_t>(i)] = std::ldexp(b[i], k);  // exact: a power of two
  return beta;
}

dnnl::primitive_attr fixed_conv_attr(int k, const dnnl::post_ops& post_ops) {
  dnnl::primitive_attr attr;
  attr.set_output_scales(0, {std::ldexp(1.0f, -k)});
  attr.set_post_ops(post_ops);
  return attr;
}

}  // namespace dputk::engine::fast
