// strided_slice (float) and strided_slice-fix (int8 values picked, requantized to the output fix point).
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_strided_slice(OpRegistry& r) {
  r.add_float("strided_slice", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    auto begin = a.op.get_attr<std::vector<std::int32_t>>("begin");
    auto strides = a.op.get_attr<std::vector<std::int32_t>>("strides");
    return float_lambda([=](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      ref::strided_slice(in[0]->data.data(), in[0]->shape, begin, strides, out.shape, out.data.data());
    });
  });
  r.add_fix("strided_slice-fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    auto begin = a.op.get_attr<std::vector<std::int32_t>>("begin");
    auto strides = a.op.get_attr<std::vector<std::int32_t>>("strides");
    return [=](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      std::vector<float> fin(in[0]->data.begin(), in[0]->data.end()), fout(out.data.size());
      ref::strided_slice(fin.data(), in[0]->shape, begin, strides, out.shape, fout.data());
      for (std::size_t i = 0; i < fout.size(); ++i)
        out.data[i] = dpu::requantize(static_cast<std::int64_t>(fout[i]), in[0]->fix_point, out.fix_point);
    };
  });
}

}  // namespace dputk::engine
