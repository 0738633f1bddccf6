#include "dnnl_int_conv.hpp"

#include <map>
#include <mutex>
#include <vector>

#include "dnnl_engine.hpp"

namespace dputk::engine::fast {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct DnnlIntConv::Impl {
  ref::Window2d g;
  bool depthwise;
  std::vector<std::int8_t> weights;
  struct Plan {
    dnnl::convolution_forward prim;
    memory weights;
    memory::desc src_md, dst_md;
  };
  std::map<int, Plan> plans;
  std::mutex mutex;

  Plan& plan(int n) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = plans.find(n);
    if (it != plans.end()) return it->second;
    auto& eng = cpu_engine();
    memory::desc src_md({n, g.c, g.h, g.w}, dt::s8, tag::nhwc);
    memory::desc dst_md({n, g.oc, g.oh, g.ow}, dt::s32, tag::nhwc);
    memory::desc uw = xir_weights_md(g, depthwise, dt::s8);
    memory::desc w_any(uw.dims(), dt::s8, tag::any);
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, w_any,
                                      dst_md, {g.sh, g.sw}, {g.dh - 1, g.dw - 1}, {g.pad_top, g.pad_left}, padding_r(g));
    dnnl::convolution_forward::primitive_desc pd(d, eng);
    Plan p;
    p.prim = dnnl::convolution_forward(pd);
    p.src_md = src_md;
    p.dst_md = dst_md;
    memory user_w(uw, eng, weights.data());
    p.weights = memory(pd.weights_desc(), eng);
    dnnl::stream s(eng);
    dnnl::reorder(user_w, p.weights).execute(s, user_w, p.weights);
    s.wait();
    return plans.emplace(n, std::move(p)).first->second;
  }
};

DnnlIntConv::DnnlIntConv(const ref::Window2d& g, bool depthwise, const std::int8_t* weights) : impl_(std::make_unique<Impl>()) {
  impl_->g = g;
  impl_->depthwise = depthwise;
  const std::size_t count = depthwise ? static_cast<std::size_t>(g.multiplier) * g.kh * g.kw * g.c
                                      : static_cast<std::size_t>(g.oc) * g.kh * g.kw * (g.c / g.group);
  impl_->weights.assign(weights, weights + count);
}
DnnlIntConv::~DnnlIntConv() = default;

void DnnlIntConv::run(const std::int8_t* in, std::int32_t* acc, int batch) {
  Impl::Plan& p = impl_->plan(batch);
  auto& eng = cpu_engine();
  memory src(p.src_md, eng, const_cast<std::int8_t*>(in)), dst(p.dst_md, eng, acc);
  dnnl::stream s(eng);
  p.prim.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, dst}});
  s.wait();
}

}  // namespace dputk::engine::fast
