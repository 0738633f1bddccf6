// eltwise-fix ADD (DPU integer arithmetic: inputs aligned to fmin + 2 by truncation, summed, rounded
// to the output fix point; optional ReLU) and MUL (exact product, rounded to the output fix point;
// a [N,1,1,C] input broadcast over H, W): reference kernels. Vectorized: fast/eltwise_fix_simd.cpp.
#include "conv_common.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/engine/dpu_ref_kernels.hpp"

namespace dputk::engine {

namespace ops {
struct EltwiseSpec {
  bool relu;
  bool mul;
};
EltwiseSpec prepare_eltwise_fix(const xir::Op& op) {
  const std::string type = op.get_attr_or<std::string>("type", "ADD");
  if (type != "ADD" && type != "MUL") dpu::op_fail(op, "eltwise type '" + type + "' is not supported (ADD, MUL)");
  const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
  if (nl != "NONE" && nl != "RELU" && !nl.empty()) dpu::op_fail(op, "eltwise nonlinear '" + nl + "' is not supported (NONE, RELU)");
  const auto& out = op.get_output_tensor()->get_shape();
  for (const xir::Tensor* it : op.get_input_tensors()) {
    const auto& s = it->get_shape();
    if (s == out) continue;
    // MUL broadcasts a [N, 1, 1, C] map over H and W (squeeze-and-excitation's channel scale).
    const bool channel_scale = s.size() == 4 && out.size() == 4 && s[0] == out[0] && s[1] == 1 && s[2] == 1 && s[3] == out[3];
    if (type != "MUL" || !channel_scale)
      dpu::op_fail(op, "inputs of different shapes are not supported (MUL broadcasts [N,1,1,C] over H, W)");
  }
  return {nl == "RELU", type == "MUL"};
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
// MUL: the exact product of the int8 inputs moved to the output fix point (dpu::eltwise_mul_output).
void eltwise_mul_ref(const std::vector<const DpuTensor*>& in, DpuTensor& out, bool relu) {
  const auto& s = out.shape;
  const std::int64_t c = s.back(), hw = out.numel() / (s[0] * c);
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    const std::int64_t b = i / (hw * c), ch = i % c;
    std::int64_t p = 1;
    int f = 0;
    for (const auto* x : in) {
      p *= x->numel() == out.numel() ? x->data[static_cast<std::size_t>(i)] : x->data[static_cast<std::size_t>(b * c + ch)];
      f += x->fix_point;
    }
    out.data[static_cast<std::size_t>(i)] = dpu::eltwise_mul_output(p, f, out.fix_point, relu);
  }
}
}  // namespace ops

void register_eltwise_fix(OpRegistry& r) {
  r.add_fix("eltwise-fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    const ops::EltwiseSpec e = ops::prepare_eltwise_fix(a.op);
    if (e.mul) return [e](const std::vector<const DpuTensor*>& in, DpuTensor& out) { ops::eltwise_mul_ref(in, out, e.relu); };
    return [e](const std::vector<const DpuTensor*>& in, DpuTensor& out) { ops::eltwise_fix_ref(in, out, e.relu); };
  });
}

}  // namespace dputk::engine
