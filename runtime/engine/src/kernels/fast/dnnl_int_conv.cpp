#include "dnnl_int_conv.hpp"

#include <vector>

#include "dnnl_conv_cache.hpp"

namespace dputk::engine::fast {

using dt = dnnl::memory::data_type;

struct DnnlIntConv::Impl {
  std::unique_ptr<CachedConv> conv;
};

DnnlIntConv::DnnlIntConv(const ref::Window2d& g, bool depthwise, const std::int8_t* weights) : impl_(std::make_unique<Impl>()) {
  const std::size_t count = depthwise ? static_cast<std::size_t>(g.multiplier) * g.kh * g.kw * g.c
                                      : static_cast<std::size_t>(g.oc) * g.kh * g.kw * (g.c / g.group);
  std::vector<char> w(reinterpret_cast<const char*>(weights), reinterpret_cast<const char*>(weights) + count);
  impl_->conv = std::make_unique<CachedConv>(g, depthwise, dt::s8, dt::s8, dt::s32,
                                            std::make_shared<const std::vector<char>>(std::move(w)), std::vector<float>{},
                                             dnnl::primitive_attr());
}
DnnlIntConv::~DnnlIntConv() = default;

void DnnlIntConv::run(const std::int8_t* in, std::int32_t* acc, int batch) { impl_->conv->run(in, acc, batch); }

}  // namespace dputk::engine::fast
