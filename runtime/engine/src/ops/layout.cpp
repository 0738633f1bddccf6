// Ops that copy their input as it is (reshape, flatten, squeeze, identity, the DPU boundary ops upload /
// download, reshape-fix), in float and in int8; in int8 a different output fix point requantizes
// (DPU_ROUND shift, saturation). fix2float's value stays int8 inside the executor (consumers read it
// through its fix point).
#include <cstring>

#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_layout(OpRegistry& r) {
  for (const char* t : {"reshape", "flatten", "identity", "reshape-fix", "squeeze", "upload", "download"})
    r.add_float(t, KernelKind::REFERENCE, [](const FloatKernelArgs&) {
      return float_lambda([](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
        std::memcpy(out.data.data(), in[0]->data.data(), out.data.size() * sizeof(float));
      });
    });
  for (const char* t : {"reshape-fix", "upload", "download", "identity", "fix2float"})
    r.add_fix(t, KernelKind::REFERENCE, [](const FixKernelArgs&) -> FixKernel {
      return [](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
        if (in[0]->fix_point == out.fix_point) {
          std::memcpy(out.data.data(), in[0]->data.data(), out.data.size());
        } else {
          for (std::size_t i = 0; i < out.data.size(); ++i) out.data[i] = dpu::requantize(in[0]->data[i], in[0]->fix_point, out.fix_point);
        }
      };
    });
}

}  // namespace dputk::engine
