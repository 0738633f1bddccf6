#include "dnnl_conv_cache.hpp"

#include <cstring>

#include "dnnl_engine.hpp"

namespace dputk::engine::fast {

using dnnl::memory;
using tag = memory::format_tag;

CachedConv::CachedConv(const ref::Window2d& g, bool depthwise, memory::data_type src, memory::data_type wei,
                       memory::data_type dst, std::shared_ptr<const std::vector<char>> weights, std::vector<float> bias,
                       dnnl::primitive_attr attr)
    : g_(g), depthwise_(depthwise), src_(src), wei_(wei), dst_(dst), weights_(std::move(weights)), bias_(std::move(bias)),
      attr_(std::move(attr)) {}

CachedConv::Plan& CachedConv::plan(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = plans_.find(n);
  if (it != plans_.end()) return it->second;
  auto& eng = cpu_engine();
  Plan p;
  p.src_md = memory::desc({n, g_.c, g_.h, g_.w}, src_, tag::nhwc);
  p.dst_md = memory::desc({n, g_.oc, g_.oh, g_.ow}, dst_, tag::nhwc);
  const memory::desc user_w = xir_weights_md(g_, depthwise_, wei_);
  const memory::desc w_any(user_w.dims(), wei_, tag::any);
  const memory::desc b_md = bias_.empty() ? memory::desc() : memory::desc({g_.oc}, memory::data_type::f32, tag::x);
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, p.src_md, w_any,
                                    b_md, p.dst_md, {g_.sh, g_.sw}, {g_.dh - 1, g_.dw - 1}, {g_.pad_top, g_.pad_left},
                                    padding_r(g_));
  dnnl::convolution_forward::primitive_desc pd(d, attr_, eng);
  p.prim = dnnl::convolution_forward(pd);
  memory user(user_w, eng, const_cast<char*>(weights_->data()));
  p.weights = memory(pd.weights_desc(), eng);
  dnnl::stream s(eng);
  dnnl::reorder(user, p.weights).execute(s, user, p.weights);
  s.wait();
  if (!bias_.empty()) {
    p.bias = memory(b_md, eng);
    std::memcpy(p.bias.get_data_handle(), bias_.data(), bias_.size() * sizeof(float));
  }
  return plans_.emplace(n, std::move(p)).first->second;
}

void CachedConv::run(const void* in, void* out, int batch) {
  Plan& p = plan(batch);
  auto& eng = cpu_engine();
  memory src(p.src_md, eng, const_cast<void*>(in)), dst(p.dst_md, eng, out);
  dnnl::stream s(eng);  // one stream per call keeps concurrent runs independent
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, dst}};
  if (!bias_.empty()) args[DNNL_ARG_BIAS] = p.bias;
  p.prim.execute(s, args);
  s.wait();
}

}  // namespace dputk::engine::fast
