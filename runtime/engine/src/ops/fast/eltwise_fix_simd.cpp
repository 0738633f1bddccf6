// eltwise-fix ADD of two inputs in AVX2 16-bit lanes (dpu_fast::eltwise_add2, bit-equal to the
// reference in ../eltwise_fix.cpp, which takes the other cases).
#include "dputk/engine/dpu_fast_kernels.hpp"
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {
namespace ops {
struct EltwiseSpec {
  bool relu;
  bool mul;
};
EltwiseSpec prepare_eltwise_fix(const xir::Op& op);
void eltwise_fix_ref(const std::vector<const DpuTensor*>& in, DpuTensor& out, bool relu);
}

void register_eltwise_fix_simd(OpRegistry& r) {
  r.add_fix("eltwise-fix", KernelKind::OPTIMIZED, [](const FixKernelArgs& a) -> FixKernel {
    const ops::EltwiseSpec e = ops::prepare_eltwise_fix(a.op);
    if (e.mul) return FixKernel();  // the reference kernel takes MUL
    const bool relu = e.relu;
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
