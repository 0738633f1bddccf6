#include "dnnl_misc.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "dnnl_engine.hpp"

namespace dputk::engine::fast {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct DnnlPool::Impl {
  ref::Window2d g;
  dnnl::algorithm alg;
  dt type = dt::f32;
  std::map<int, std::pair<dnnl::pooling_forward, std::pair<memory::desc, memory::desc>>> plans;
  std::mutex mutex;
};

DnnlPool::DnnlPool(const ref::Window2d& g, bool avg, bool count_include_pad, bool int8) : impl_(std::make_unique<Impl>()) {
  impl_->g = g;
  if (int8) impl_->type = dt::s8;
  impl_->alg = !avg ? dnnl::algorithm::pooling_max
                    : (count_include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding);
}
DnnlPool::~DnnlPool() = default;

void DnnlPool::run(const void* in, void* out, int n) {
  auto& eng = cpu_engine();
  const ref::Window2d& g = impl_->g;
  std::unique_lock<std::mutex> lock(impl_->mutex);
  auto it = impl_->plans.find(n);
  if (it == impl_->plans.end()) {
    memory::desc src({n, g.c, g.h, g.w}, impl_->type, tag::nhwc), dst({n, g.oc, g.oh, g.ow}, impl_->type, tag::nhwc);
    const memory::dim pb = (g.oh - 1) * g.sh + g.kh - g.h - g.pad_top, pr = (g.ow - 1) * g.sw + g.kw - g.w - g.pad_left;
    dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference, impl_->alg, src, dst, {g.sh, g.sw}, {g.kh, g.kw},
                                  {g.pad_top, g.pad_left}, {pb, pr});
    it = impl_->plans.emplace(n, std::make_pair(dnnl::pooling_forward({d, eng}), std::make_pair(src, dst))).first;
  }
  auto& plan = it->second;
  lock.unlock();
  memory src(plan.second.first, eng, const_cast<void*>(in)), dst(plan.second.second, eng, out);
  dnnl::stream s(eng);
  plan.first.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  s.wait();
}

struct DnnlMatmul::Impl {
  std::vector<float> weights, bias;
  int k, n;
  bool transpose_b;
  std::map<int, dnnl::matmul> plans;
  std::mutex mutex;
};

DnnlMatmul::DnnlMatmul(const float* weights, const float* bias, int k, int n, bool transpose_b) : impl_(std::make_unique<Impl>()) {
  impl_->weights.assign(weights, weights + static_cast<std::size_t>(k) * n);
  impl_->bias.assign(static_cast<std::size_t>(n), 0.0f);
  if (bias) std::memcpy(impl_->bias.data(), bias, static_cast<std::size_t>(n) * sizeof(float));
  impl_->k = k;
  impl_->n = n;
  impl_->transpose_b = transpose_b;
}
DnnlMatmul::~DnnlMatmul() = default;

void DnnlMatmul::run(const float* x, float* y, int m) {
  auto& eng = cpu_engine();
  const memory::dim k = impl_->k, n = impl_->n;
  memory::desc a({m, k}, dt::f32, tag::ab), c({m, n}, dt::f32, tag::ab), bias({1, n}, dt::f32, tag::ab);
  memory::desc b({k, n}, dt::f32, impl_->transpose_b ? tag::ba : tag::ab);
  std::unique_lock<std::mutex> lock(impl_->mutex);
  auto it = impl_->plans.find(m);
  if (it == impl_->plans.end()) it = impl_->plans.emplace(m, dnnl::matmul({{a, b, bias, c}, eng})).first;
  dnnl::matmul prim = it->second;
  lock.unlock();
  memory am(a, eng, const_cast<float*>(x)), bm(b, eng, impl_->weights.data()), biasm(bias, eng, impl_->bias.data()), cm(c, eng, y);
  dnnl::stream s(eng);
  prim.execute(s, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_BIAS, biasm}, {DNNL_ARG_DST, cm}});
  s.wait();
}

}  // namespace dputk::engine::fast
