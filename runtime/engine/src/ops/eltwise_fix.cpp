// eltwise-fix ADD (DPU integer arithmetic: inputs aligned to fmin + 2 by truncation, summed, rounded
// to the output fix point; optional ReLU): reference kernel. Vectorized: fast/eltwise_fix_simd.cpp.
#include "conv_common.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/engine/dpu_ref_kernels.hpp"

namespace dputk::engine {

namespace ops {
// Checks the attributes; returns whether the add fuses a ReLU.
bool prepare_eltwise_fix(const xir::Op& op) {
  const std::string type = op.get_attr_or<std::string>("type", "ADD");
  if (type != "ADD") dpu::op_fail(op, "eltwise type '" + type + "' is not supported (ADD)");
  const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
  if (nl != "NONE" && nl != "RELU" && !nl.empty()) dpu::op_fail(op, "eltwise nonlinear '" + nl + "' is not supported (NONE, RELU)");
  for (const xir::Tensor* it : op.get_input_tensors())
    if (it->get_shape() != op.get_output_tensor()->get_shape()) dpu::op_fail(op, "inputs of different shapes (broadcasting) are not supported");
  return nl == "RELU";
}
void eltwise_fix_ref(const std::vector<const DpuTensor*>& in, DpuTensor& out, bool relu) {
  std::vector<const std::int8_t*> ptrs;
  std::vector<int> fps;
  for (const auto* x : in) {
    ptrs.push_back(x->data.data());
    fps.push_back(x->fix_point);
  }
  dpu_ref::eltwise_add(ptrs, fps, out.numel(), out.data.data(), out.fix_point, relu);
}
}  // namespace ops

void register_eltwise_fix(OpRegistry& r) {
  r.add_fix("eltwise-fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    const bool relu = ops::prepare_eltwise_fix(a.op);
    return [relu](const std::vector<const DpuTensor*>& in, DpuTensor& out) { ops::eltwise_fix_ref(in, out, relu); };
  });
}

}  // namespace dputk::engine
