#include "dnnl_conv.hpp"

#include "dnnl_conv_cache.hpp"
#include "dnnl_engine.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace dputk::engine::fast {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

memory::desc xir_weights_md(const ref::Window2d& g, bool depthwise, dt type) {
  const memory::dim kh = g.kh, kw = g.kw;
  if (depthwise) {
    // XIR [mult, KH, KW, C] viewed as oneDNN goihw dims {C, mult, 1, KH, KW}.
    const memory::dim c = g.c, m = g.multiplier;
    return memory::desc({c, m, 1, kh, kw}, type, memory::dims{1, kh * kw * c, 1, kw * c, c});
  }
  if (g.group > 1) {
    const memory::dim G = g.group, ocg = g.oc / g.group, icg = g.c / g.group;
    return memory::desc({G, ocg, icg, kh, kw}, type, tag::gohwi);
  }
  return memory::desc({g.oc, g.c, kh, kw}, type, tag::ohwi);
}

dnnl::post_ops conv_post_ops(const ref::ActivationParams& act, bool accumulate) {
  dnnl::post_ops ops;
  if (accumulate) ops.append_sum(1.0f);
  switch (act.kind) {
    case ref::Activation::RELU: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f); break;
    case ref::Activation::RELU6: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f); break;
    case ref::Activation::CLAMP: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, act.lo, act.hi); break;
    case ref::Activation::LEAKY_RELU: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, act.alpha, 0.0f); break;
    default: break;
  }
  return ops;
}

struct DnnlConv::Impl {
  std::unique_ptr<CachedConv> conv;
};

DnnlConv::DnnlConv(const ref::Window2d& geometry, bool depthwise, const float* weights, const float* bias,
                   const ref::ActivationParams& act, bool accumulate)
    : impl_(std::make_unique<Impl>()) {
  const ref::Window2d& g = geometry;
  const std::size_t wcount = depthwise ? static_cast<std::size_t>(g.multiplier) * g.kh * g.kw * g.c
                                       : static_cast<std::size_t>(g.oc) * g.kh * g.kw * (g.c / g.group);
  std::vector<char> w(wcount * sizeof(float));
  std::memcpy(w.data(), weights, w.size());
  std::vector<float> b(static_cast<std::size_t>(g.oc), 0.0f);
  if (bias) std::memcpy(b.data(), bias, b.size() * sizeof(float));
  dnnl::primitive_attr attr;
  attr.set_post_ops(conv_post_ops(act, accumulate));
  impl_->conv = std::make_unique<CachedConv>(g, depthwise, dt::f32, dt::f32, dt::f32, std::make_shared<const std::vector<char>>(std::move(w)),
                                            std::move(b), attr);
}

DnnlConv::~DnnlConv() = default;

void DnnlConv::run(const float* in, float* out, int batch) { impl_->conv->run(in, out, batch); }

}  // namespace dputk::engine::fast
