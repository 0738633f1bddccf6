// concat (float) and concat-fix (each input requantized to the output fix point, DPU_ROUND).
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_concat(OpRegistry& r) {
  r.add_float("concat", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    const int axis = a.op.get_attr<std::int32_t>("axis");
    return float_lambda([axis](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      std::vector<const float*> ptrs;
      std::vector<std::vector<std::int32_t>> shapes;
      for (const auto* x : in) {
        ptrs.push_back(x->data.data());
        shapes.push_back(x->shape);
      }
      ref::concat(ptrs, shapes, axis < 0 ? axis + static_cast<int>(out.shape.size()) : axis, out.data.data());
    });
  });
  r.add_fix("concat-fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    int axis = a.op.get_attr<std::int32_t>("axis");
    if (axis < 0) axis += static_cast<int>(a.op.get_output_tensor()->get_shape().size());
    return [axis](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      std::int64_t outer = 1;
      for (int d = 0; d < axis; ++d) outer *= out.shape[d];
      const std::int64_t out_chunk = out.numel() / outer;
      std::int64_t off = 0;
      for (const auto* x : in) {
        const std::int64_t chunk = x->numel() / outer;
        for (std::int64_t o = 0; o < outer; ++o)
          for (std::int64_t i = 0; i < chunk; ++i)
            out.data[o * out_chunk + off + i] = dpu::requantize(x->data[o * chunk + i], x->fix_point, out.fix_point);
        off += chunk;
      }
    };
  });
}

}  // namespace dputk::engine
