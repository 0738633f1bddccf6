// The number-format ops: fix (float → fake-quantized float: the quantizer form; calibration replaces
// it through FixKernelArgs::fix_hook), and float2fix (float → int8 at the op's fix point with its
// round mode: a CPU value entering the DPU). fix2float is a layout op in int8 (layout.cpp).
#include "dputk/dpu/fix_attrs.hpp"
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_fix(OpRegistry& r) {
  r.add_float("fix", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    const xir::Op* self = &a.op;
    if (a.fix_hook) {
      FixHook hook = a.fix_hook;
      return float_lambda([self, hook](const std::vector<const FloatTensor*>& in, FloatTensor& out) { hook(self, *in[0], out); });
    }
    const dpu::FixSpec f = dpu::fix_spec_of(a.op);
    return float_lambda([f](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      dpu::fake_quantize_array(in[0]->data.data(), out.numel(), f, out.data.data());
    });
  });
  r.add_fix("float2fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    const dpu::RoundMode mode = dpu::round_mode_of(a.op, "DPU_ROUND");
    return [mode](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      std::vector<float> x(static_cast<std::size_t>(in[0]->numel()));
      dequantize(*in[0], x.data());
      dpu::quantize_array(x.data(), out.numel(), dpu::FixSpec{out.fix_point, 8, true, mode}, out.data.data());
    };
  });
}

}  // namespace dputk::engine
