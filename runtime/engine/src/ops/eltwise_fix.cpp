// eltwise-fix ADD (DPU integer arithmetic: inputs aligned to fmin + 2 by truncation, summed, rounded
// to the output fix point; optional ReLU) and MUL (exact product, rounded to the output fix point;
// a [N,1,1,C] input broadcast over H, W): reference kernels. Vectorized: fast/eltwise_fix_simd.cpp.
#include "conv_common.hpp"
#include "eltwise_common.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/dpu_ref_kernels.hpp"

namespace dputk::engine {

namespace ops {
EltwiseSpec prepare_eltwise_fix(const xir::Op& op) {
  const std::string type = op.get_attr_or<std::string>("type", "ADD");
  if (type != "ADD" && type != "MUL") dpu::op_fail(op, "eltwise type '" + type + "' is not supported (ADD, MUL)");
  const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
  if (nl != "NONE" && nl != "RELU" && !nl.empty()) dpu::op_fail(op, "eltwise nonlinear '" + nl + "' is not supported (NONE, RELU)");
  if (const std::string why = dpu::eltwise_fix_shape_problem(op); !why.empty()) dpu::op_fail(op, why);
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
  const std::int64_t total = out.numel(), c = s.back(), pixels = total / c, per_image = pixels / s[0];
  int f = 0;
  std::vector<const std::int8_t*> data;
  std::vector<bool> full;  // a full map, or a [N, 1, 1, C] channel scale
  for (const auto* x : in) {
    f += x->fix_point;
    data.push_back(x->data.data());
    full.push_back(is_full_map(*x, out));
  }
  const int fo = out.fix_point;
  std::int8_t* o = out.data.data();
#pragma omp parallel for schedule(static) if (total > (1 << 16))
  for (std::int64_t p = 0; p < pixels; ++p) {
    const std::int64_t pix = p * c, img = (p / per_image) * c;
    for (std::int64_t ch = 0; ch < c; ++ch) {
      std::int64_t prod = 1;
      for (std::size_t k = 0; k < data.size(); ++k) prod *= data[k][full[k] ? pix + ch : img + ch];
      o[pix + ch] = dpu::eltwise_mul_output(prod, f, fo, relu);
    }
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
