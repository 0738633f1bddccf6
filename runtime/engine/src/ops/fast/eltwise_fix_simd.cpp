// eltwise-fix ADD of two inputs in AVX2 16-bit lanes (dpu_fast::eltwise_add2) and MUL of two inputs
// (dpu_fast::eltwise_mul2), bit-equal to the reference in ../eltwise_fix.cpp, which takes the other cases.
#include "dputk/engine/dpu_fast_kernels.hpp"
#include "dputk/engine/op_registry.hpp"
#include "../eltwise_common.hpp"

namespace dputk::engine {

void register_eltwise_fix_simd(OpRegistry& r) {
  r.add_fix("eltwise-fix", KernelKind::OPTIMIZED, [](const FixKernelArgs& a) -> FixKernel {
    const ops::EltwiseSpec e = ops::prepare_eltwise_fix(a.op);
    const bool relu = e.relu;
    if (e.mul)  // two inputs: both full maps, or one a [N, 1, 1, C] channel scale (squeeze-and-excitation)
      return [relu](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
        const std::int64_t total = out.numel(), c = out.shape.empty() ? 1 : out.shape.back(), n = out.shape.empty() ? 1 : out.shape[0];
        if (in.size() == 2 && c > 0 && n > 0) {
          const DpuTensor* full = ops::is_full_map(*in[0], out) ? in[0] : in[1];
          const DpuTensor* other = full == in[0] ? in[1] : in[0];
          const bool per_channel = !ops::is_full_map(*other, out) && other->numel() == n * c;
          if (ops::is_full_map(*full, out) && (per_channel || ops::is_full_map(*other, out)) &&
              dpu_fast::eltwise_mul2(full->data.data(), other->data.data(), per_channel, total / c, static_cast<int>(c), total / c / n,
                                     full->fix_point + other->fix_point, out.fix_point, relu, out.data.data()))
            return;
        }
        ops::eltwise_mul_ref(in, out, relu);
      };
    return [relu](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      if (in.size() == 2 &&
          dpu_fast::eltwise_add2(in[0]->data.data(), in[0]->fix_point, in[1]->data.data(), in[1]->fix_point, out.numel(), out.fix_point,
                                 relu, out.data.data()))
        return;
      ops::eltwise_fix_ref(in, out, relu);
    };
  });
}

}  // namespace dputk::engine
