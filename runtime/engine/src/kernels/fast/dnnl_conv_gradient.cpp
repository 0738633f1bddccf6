#include "dputk/engine/conv_gradient.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <map>
#include <vector>

#include "dnnl_engine.hpp"

namespace dputk::engine {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// Per batch size: the forward and backward-weights primitives (oneDNN picks the weights' layout; the
// XIR-layout weights are reordered to it on each forward call, the gradient back from it).
struct Plan {
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_weights backward;
  memory::desc src, dst, weights, diff_weights;
};

struct ConvGradient::Impl {
  ref::Window2d g;
  bool depthwise = false;
  memory::desc user_weights, bias;
  std::vector<float> zero_bias, scratch_bias;
  std::map<int, Plan> plans;

  Plan& plan(int n) {
    auto it = plans.find(n);
    if (it != plans.end()) return it->second;
    auto& eng = fast::cpu_engine();
    Plan p;
    p.src = memory::desc({n, g.c, g.h, g.w}, dt::f32, tag::nhwc);
    p.dst = memory::desc({n, g.oc, g.oh, g.ow}, dt::f32, tag::nhwc);
    const memory::desc w_any(user_weights.dims(), dt::f32, tag::any);
    const memory::dims strides{g.sh, g.sw}, dilation{g.dh - 1, g.dw - 1}, pad_l{g.pad_top, g.pad_left}, pad_r = fast::padding_r(g);
    dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, p.src, w_any, bias, p.dst,
                                       strides, dilation, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc fpd(fd, eng);
    dnnl::convolution_backward_weights::desc bd(dnnl::algorithm::convolution_direct, p.src, w_any, bias, p.dst, strides, dilation, pad_l,
                                                pad_r);
    dnnl::convolution_backward_weights::primitive_desc bpd(bd, eng, fpd);
    p.forward = dnnl::convolution_forward(fpd);
    p.backward = dnnl::convolution_backward_weights(bpd);
    p.weights = fpd.weights_desc();
    p.diff_weights = bpd.diff_weights_desc();
    return plans.emplace(n, std::move(p)).first->second;
  }
};

ConvGradient::ConvGradient(const ref::Window2d& g, bool depthwise) : impl_(std::make_unique<Impl>()) {
  impl_->g = g;
  impl_->depthwise = depthwise;
  impl_->user_weights = fast::xir_weights_md(g, depthwise, dt::f32);
  impl_->bias = memory::desc({g.oc}, dt::f32, tag::x);
  impl_->zero_bias.assign(static_cast<std::size_t>(g.oc), 0.0f);
  impl_->scratch_bias.resize(static_cast<std::size_t>(g.oc));
}

ConvGradient::~ConvGradient() = default;

void ConvGradient::forward(const float* x, const float* w, const float* b, float* y, int batch) {
  Plan& p = impl_->plan(batch);
  auto& eng = fast::cpu_engine();
  dnnl::stream s(eng);
  memory user(impl_->user_weights, eng, const_cast<float*>(w));
  memory weights = user;
  if (p.weights != impl_->user_weights) {
    weights = memory(p.weights, eng);
    dnnl::reorder(user, weights).execute(s, user, weights);
  }
  memory src(p.src, eng, const_cast<float*>(x)), dst(p.dst, eng, y);
  memory bias(impl_->bias, eng, const_cast<float*>(b ? b : impl_->zero_bias.data()));
  p.forward.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  s.wait();
}

void ConvGradient::backward(const float* x, const float* dy, float* dw, float* db, int batch) {
  Plan& p = impl_->plan(batch);
  auto& eng = fast::cpu_engine();
  dnnl::stream s(eng);
  memory user(impl_->user_weights, eng, dw);
  memory diff_weights = p.diff_weights == impl_->user_weights ? user : memory(p.diff_weights, eng);
  memory src(p.src, eng, const_cast<float*>(x)), diff_dst(p.dst, eng, const_cast<float*>(dy));
  memory diff_bias(impl_->bias, eng, db ? db : impl_->scratch_bias.data());
  p.backward.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, diff_weights}, {DNNL_ARG_DIFF_BIAS, diff_bias}});
  if (diff_weights != user) dnnl::reorder(diff_weights, user).execute(s, diff_weights, user);
  s.wait();
}

}  // namespace dputk::engine
