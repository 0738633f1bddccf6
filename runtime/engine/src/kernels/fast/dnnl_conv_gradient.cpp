#include "dputk/engine/conv_gradient.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "dnnl_dpu_conv.hpp"
#include "dnnl_fixed_conv.hpp"
#include "dnnl_engine.hpp"

namespace dputk::engine {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

bool native_bf16() {
  const int have = static_cast<int>(dnnl::get_effective_cpu_isa()), want = static_cast<int>(dnnl::cpu_isa::avx512_core_bf16);
  return (have & want) == want;
}

}  // namespace

// Per batch size: the forward and backward-weights primitives (oneDNN picks the weights' layout; the
// XIR-layout weights are reordered to it on each forward call, the gradient back from it).
struct Plan {
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_weights backward;
  memory::desc src, dst, weights, diff_weights, grad_src, grad_dst;  // grad_*: what backward reads (f32 or bf16)
};

// Per batch size, input signedness and fx + fw: the int8 forward (its output scale fixed at creation).
struct FixedPlan {
  dnnl::convolution_forward forward;
  memory::desc src, weights;
};

struct ConvGradient::Impl {
  ref::Window2d g;
  bool depthwise = false, bf16 = false, fixed = false;
  memory::desc user_weights, bias;
  std::vector<float> zero_bias, scratch_bias, scaled_bias;
  std::vector<std::int8_t> x8, w8;
  std::map<int, Plan> plans;
  std::map<std::tuple<int, bool, int>, FixedPlan> fixed_plans;

  memory::dims strides() const { return {g.sh, g.sw}; }
  memory::dims dilation() const { return {g.dh - 1, g.dw - 1}; }
  memory::dims pad_l() const { return {g.pad_top, g.pad_left}; }

  Plan& plan(int n) {
    auto it = plans.find(n);
    if (it != plans.end()) return it->second;
    auto& eng = fast::cpu_engine();
    Plan p;
    p.src = memory::desc({n, g.c, g.h, g.w}, dt::f32, tag::nhwc);
    p.dst = memory::desc({n, g.oc, g.oh, g.ow}, dt::f32, tag::nhwc);
    const memory::desc w_any(user_weights.dims(), dt::f32, tag::any);
    dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, p.src, w_any, bias, p.dst,
                                       strides(), dilation(), pad_l(), fast::padding_r(g));
    dnnl::convolution_forward::primitive_desc fpd(fd, eng);
    p.forward = dnnl::convolution_forward(fpd);
    p.weights = fpd.weights_desc();
    // The backward pass's inputs, and a forward of their type as its hint.
    const dt grad = bf16 ? dt::bf16 : dt::f32;
    p.grad_src = memory::desc({n, g.c, g.h, g.w}, grad, tag::nhwc);
    p.grad_dst = memory::desc({n, g.oc, g.oh, g.ow}, grad, tag::nhwc);
    const memory::desc gw_any(user_weights.dims(), grad, tag::any), dw_any(user_weights.dims(), dt::f32, tag::any);
    dnnl::convolution_forward::desc hd(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, p.grad_src, gw_any, bias,
                                       p.grad_dst, strides(), dilation(), pad_l(), fast::padding_r(g));
    dnnl::convolution_forward::primitive_desc hpd(hd, eng);
    dnnl::convolution_backward_weights::desc bd(dnnl::algorithm::convolution_direct, p.grad_src, dw_any, bias, p.grad_dst, strides(),
                                                dilation(), pad_l(), fast::padding_r(g));
    dnnl::convolution_backward_weights::primitive_desc bpd(bd, eng, hpd);
    p.backward = dnnl::convolution_backward_weights(bpd);
    p.diff_weights = bpd.diff_weights_desc();
    return plans.emplace(n, std::move(p)).first->second;
  }

  FixedPlan& fixed_plan(int n, bool is_signed, int k) {
    const auto key = std::make_tuple(n, is_signed, k);
    auto it = fixed_plans.find(key);
    if (it != fixed_plans.end()) return it->second;
    auto& eng = fast::cpu_engine();
    FixedPlan p;
    p.src = memory::desc({n, g.c, g.h, g.w}, is_signed ? dt::s8 : dt::u8, tag::nhwc);
    const memory::desc dst({n, g.oc, g.oh, g.ow}, dt::f32, tag::nhwc);
    const memory::desc w_any(user_weights.dims(), dt::s8, tag::any);
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, p.src, w_any, bias, dst,
                                      strides(), dilation(), pad_l(), fast::padding_r(g));
    dnnl::convolution_forward::primitive_desc pd(d, fast::fixed_conv_attr(k), eng);
    p.forward = dnnl::convolution_forward(pd);
    p.weights = pd.weights_desc();
    return fixed_plans.emplace(key, std::move(p)).first->second;
  }

  // x (f32, `desc`'s dims) as type `to`: itself when that is f32, else converted into a new memory.
  static memory as(const memory::desc& desc, const float* x, dnnl::stream& s) {
    auto& eng = fast::cpu_engine();
    const memory::desc f(desc.dims(), dt::f32, tag::nhwc);
    memory user(f, eng, const_cast<float*>(x));
    if (desc.data_type() == dt::f32) return user;
    memory out(desc, eng);
    dnnl::reorder(user, out).execute(s, user, out);
    return out;
  }
};

ConvGradient::ConvGradient(const ref::Window2d& g, bool depthwise, Gradient gradient) : impl_(std::make_unique<Impl>()) {
  impl_->g = g;
  impl_->depthwise = depthwise;
  impl_->bf16 = gradient == Gradient::BF16_WHERE_NATIVE && native_bf16();
  impl_->user_weights = fast::xir_weights_md(g, depthwise, dt::f32);
  impl_->bias = memory::desc({g.oc}, dt::f32, tag::x);
  impl_->zero_bias.assign(static_cast<std::size_t>(g.oc), 0.0f);
  impl_->scratch_bias.resize(static_cast<std::size_t>(g.oc));
}

ConvGradient::~ConvGradient() = default;

bool ConvGradient::bf16_gradient() const { return impl_->bf16; }

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

void ConvGradient::forward_fixed(const float* x, int fx, const float* w, int fw, const float* b, float* y, int batch) {
  Impl& m = *impl_;
  const ref::Window2d& g = m.g;
  const int k = fx + fw;
  const std::int64_t n_x = static_cast<std::int64_t>(batch) * g.h * g.w * g.c;
  const std::int64_t n_w = static_cast<std::int64_t>(m.user_weights.get_size() / sizeof(float));
  if (!fast::dnnl_dpu_conv_probe() || k < -60 || k > 60) return forward(x, w, b, y, batch);
  m.x8.resize(static_cast<std::size_t>(n_x));
  m.w8.resize(static_cast<std::size_t>(n_w));
  fast::int8_on_grid(x, n_x, fx, m.x8.data());
  fast::int8_on_grid(w, n_w, fw, m.w8.data());
  const bool is_signed = std::any_of(m.x8.begin(), m.x8.end(), [](std::int8_t v) { return v < 0; });  // else read as u8: same bytes
  if (is_signed && !fast::dnnl_dpu_conv_signed_probe()) return forward(x, w, b, y, batch);
  m.scaled_bias = fast::fixed_conv_bias(b, g.oc, k);
  FixedPlan& p = m.fixed_plan(batch, is_signed, k);
  auto& eng = fast::cpu_engine();
  dnnl::stream s(eng);
  memory user(fast::xir_weights_md(g, m.depthwise, dt::s8), eng, m.w8.data());
  memory weights(p.weights, eng);
  dnnl::reorder(user, weights).execute(s, user, weights);
  memory src(p.src, eng, m.x8.data());
  memory dst(memory::desc({batch, g.oc, g.oh, g.ow}, dt::f32, tag::nhwc), eng, y);
  memory bias(m.bias, eng, m.scaled_bias.data());
  p.forward.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  s.wait();
}

void ConvGradient::backward(const float* x, const float* dy, float* dw, float* db, int batch) {
  Plan& p = impl_->plan(batch);
  auto& eng = fast::cpu_engine();
  dnnl::stream s(eng);
  memory user(impl_->user_weights, eng, dw);
  memory diff_weights = p.diff_weights == impl_->user_weights ? user : memory(p.diff_weights, eng);
  memory src = Impl::as(p.grad_src, x, s), diff_dst = Impl::as(p.grad_dst, dy, s);
  memory diff_bias(impl_->bias, eng, db ? db : impl_->scratch_bias.data());
  p.backward.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, diff_weights}, {DNNL_ARG_DIFF_BIAS, diff_bias}});
  if (diff_weights != user) dnnl::reorder(diff_weights, user).execute(s, diff_weights, user);
  s.wait();
}

}  // namespace dputk::engine
