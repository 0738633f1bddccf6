// maxpool2d / avgpool2d (float) and pool-fix (DPU: max, or average with the N/2^M factor): reference
// kernels. oneDNN ones: fast/pool_dnnl.cpp.
#include "conv_common.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/engine/dpu_ref_kernels.hpp"
#include "dputk/engine/op_geometry.hpp"
#include "pool_common.hpp"

namespace dputk::engine {

namespace ops {

ref::Window2d pool_window(const xir::Op& op) {
  return window_of(op, op.get_input_tensors()[0]->get_shape(), op.get_output_tensor()->get_shape());
}

bool fix_pool_is_avg(const xir::Op& op) {
  const std::string type = op.get_attr<std::string>("type");
  if (type != "MAX" && type != "AVG") dpu::op_fail(op, "pool type '" + type + "' is not supported (MAX, AVG)");
  return type == "AVG";
}

}  // namespace ops

void register_pool(OpRegistry& r) {
  for (const char* t : {"maxpool2d", "avgpool2d"})
    r.add_float(t, KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
      const bool avg = a.op.get_type() == "avgpool2d";
      const bool include_pad = a.op.get_attr_or<bool>("count_include_pad", true);
      const ref::Window2d g = ops::pool_window(a.op);
      return float_lambda([=](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
        ref::Window2d gg = g;
        gg.n = in[0]->shape[0];
        if (avg) ref::avgpool2d(in[0]->data.data(), out.data.data(), gg, include_pad);
        else ref::maxpool2d(in[0]->data.data(), out.data.data(), gg);
      });
    });
  r.add_fix("pool-fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    const bool avg = ops::fix_pool_is_avg(a.op);
    const ref::Window2d g = ops::pool_window(a.op);
    const int fi = ops::fix_point_of(*a.op.get_input_op("input")), fo = ops::fix_point_of(a.op);
    return [=](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      ref::Window2d gg = g;
      gg.n = in[0]->shape[0];
      if (avg) dpu_ref::avgpool(in[0]->data.data(), out.data.data(), gg, fi, fo);
      else dpu_ref::maxpool(in[0]->data.data(), out.data.data(), gg, fi, fo);
    };
  });
}

}  // namespace dputk::engine
