// pad (float: CONSTANT or REFLECT) and pad-fix (CONSTANT zero padding of int8 values, requantized to
// the output fix point).
#include "dputk/dpu/op_error.hpp"
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_pad(OpRegistry& r) {
  r.add_float("pad", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    auto paddings = a.op.get_attr<std::vector<std::int32_t>>("paddings");
    const std::string mode = a.op.get_attr<std::string>("mode");
    if (mode != "CONSTANT" && mode != "REFLECT") dpu::op_fail(a.op, "pad mode " + mode + " is not supported");
    auto values = a.op.get_attr_or<std::vector<float>>("constant_values", {});
    const float value = values.empty() ? 0.0f : values[0];
    const bool reflect = mode == "REFLECT";
    return float_lambda([=](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      ref::pad(in[0]->data.data(), in[0]->shape, paddings, reflect, value, out.data.data());
    });
  });
  r.add_fix("pad-fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    auto paddings = a.op.get_attr<std::vector<std::int32_t>>("paddings");
    const std::string mode = a.op.get_attr<std::string>("mode");
    if (mode != "CONSTANT") dpu::op_fail(a.op, "pad mode '" + mode + "' is not supported (CONSTANT)");
    return [paddings](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      std::vector<float> fin(in[0]->data.begin(), in[0]->data.end()), fout(out.data.size());
      ref::pad(fin.data(), in[0]->shape, paddings, false, 0.0f, fout.data());
      for (std::size_t i = 0; i < fout.size(); ++i)
        out.data[i] = dpu::requantize(static_cast<std::int64_t>(fout[i]), in[0]->fix_point, out.fix_point);
    };
  });
}

}  // namespace dputk::engine
