#include "dnnl_conv.hpp"

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

struct DnnlConv::Impl {
  ref::Window2d g;
  bool depthwise;
  std::vector<float> weights, bias;
  ref::ActivationParams act;
  bool accumulate;
  dnnl::stream stream{cpu_engine()};
  struct Plan {
    dnnl::convolution_forward prim;
    memory weights, bias;
    memory::desc src_md, dst_md;
  };
  std::map<int, Plan> plans;
  std::mutex mutex;

  Plan& plan(int n) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = plans.find(n);
    if (it != plans.end()) return it->second;
    auto& eng = cpu_engine();
    memory::desc src_md({n, g.c, g.h, g.w}, dt::f32, tag::nhwc);
    memory::desc dst_md({n, g.oc, g.oh, g.ow}, dt::f32, tag::nhwc);
    memory::desc uw = xir_weights_md(g, depthwise, dt::f32);
    memory::desc w_any(uw.dims(), dt::f32, tag::any);
    memory::desc b_md({g.oc}, dt::f32, tag::x);
    const memory::dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1};
    const memory::dims pl{g.pad_top, g.pad_left}, pr = padding_r(g);
    dnnl::post_ops ops;
    if (accumulate) ops.append_sum(1.0f);
    switch (act.kind) {
      case ref::Activation::RELU: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f); break;
      case ref::Activation::RELU6: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f); break;
      case ref::Activation::CLAMP: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, act.lo, act.hi); break;
      case ref::Activation::LEAKY_RELU: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, act.alpha, 0.0f); break;
      default: break;
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md,
                                      w_any, b_md, dst_md, strides, dil, pl, pr);
    dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
    Plan p;
    p.prim = dnnl::convolution_forward(pd);
    p.src_md = src_md;
    p.dst_md = dst_md;
    memory user_w(uw, eng, weights.data());
    p.weights = memory(pd.weights_desc(), eng);
    dnnl::reorder(user_w, p.weights).execute(stream, user_w, p.weights);
    p.bias = memory(b_md, eng);
    std::memcpy(p.bias.get_data_handle(), bias.data(), bias.size() * sizeof(float));
    stream.wait();
    return plans.emplace(n, std::move(p)).first->second;
  }
};

DnnlConv::DnnlConv(const ref::Window2d& geometry, bool depthwise, const float* weights, const float* bias,
                   const ref::ActivationParams& act, bool accumulate)
    : impl_(std::make_unique<Impl>()) {
  impl_->g = geometry;
  impl_->depthwise = depthwise;
  const std::size_t wcount = depthwise
                                 ? static_cast<std::size_t>(geometry.multiplier) * geometry.kh * geometry.kw * geometry.c
                                 : static_cast<std::size_t>(geometry.oc) * geometry.kh * geometry.kw * (geometry.c / geometry.group);
  impl_->weights.assign(weights, weights + wcount);
  impl_->bias.assign(static_cast<std::size_t>(geometry.oc), 0.0f);
  if (bias) std::memcpy(impl_->bias.data(), bias, impl_->bias.size() * sizeof(float));
  impl_->act = act;
  impl_->accumulate = accumulate;
}

DnnlConv::~DnnlConv() = default;

void DnnlConv::run(const float* in, float* out, int batch) {
  Impl::Plan& p = impl_->plan(batch);
  auto& eng = cpu_engine();
  memory src(p.src_md, eng, const_cast<float*>(in));
  memory dst(p.dst_md, eng, out);
  // One stream per call keeps concurrent runs of the same kernel independent.
  dnnl::stream stream(eng);
  p.prim.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_BIAS, p.bias}, {DNNL_ARG_DST, dst}});
  stream.wait();
}

}  // namespace dputk::engine::fast
