// maxpool2d / avgpool2d on oneDNN; pool-fix MAX as oneDNN's s8 max pooling (exact in int8), then a
// requantization when the output fix point differs. Reference kernels: ../pool.cpp.
#include "../conv_common.hpp"
#include "../pool_common.hpp"
#include "kernels/fast/dnnl_misc.hpp"

namespace dputk::engine {

void register_pool_dnnl(OpRegistry& r) {
  for (const char* t : {"maxpool2d", "avgpool2d"})
    r.add_float(t, KernelKind::OPTIMIZED, [](const FloatKernelArgs& a) {
      const bool avg = a.op.get_type() == "avgpool2d";
      auto pool = std::make_shared<fast::DnnlPool>(ops::pool_window(a.op), avg, a.op.get_attr_or<bool>("count_include_pad", true));
      return float_lambda([pool](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
        pool->run(in[0]->data.data(), out.data.data(), in[0]->shape[0]);
      });
    });
  r.add_fix("pool-fix", KernelKind::OPTIMIZED, [](const FixKernelArgs& a) -> FixKernel {
    if (ops::fix_pool_is_avg(a.op)) return nullptr;  // the reference kernel's DPU factor
    auto pool = std::make_shared<fast::DnnlPool>(ops::pool_window(a.op), false, false, true);
    const int fi = ops::fix_point_of(*a.op.get_input_op("input")), fo = ops::fix_point_of(a.op);
    return [=](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      pool->run(in[0]->data.data(), out.data.data(), in[0]->shape[0]);
      if (fi != fo)
        for (auto& v : out.data) v = dpu::requantize(v, fi, fo);
    };
  });
}

}  // namespace dputk::engine
