// batchnorm (float, inference form): gamma·(x − mean)/sqrt(var + eps) + beta per channel (last dim).
#include "dputk/dpu/op_error.hpp"
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

void register_batchnorm(OpRegistry& r) {
  r.add_float("batchnorm", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    auto param = [&](const char* arg) {
      const xir::Op* src = a.op.get_input_op(arg);
      const FloatTensor* t = src ? a.constants(src) : nullptr;
      if (!t) dpu::op_fail(a.op, std::string("input '") + arg + "' must be constant (from const ops)");
      return t->data;
    };
    const auto gamma = param("gamma"), beta = param("beta"), mean = param("moving_mean"), var = param("moving_var");
    const float eps = a.op.get_attr<float>("epsilon");
    return float_lambda([=](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      ref::batchnorm(in[0]->data.data(), out.numel(), static_cast<int>(gamma.size()), gamma.data(), beta.data(), mean.data(), var.data(),
                     eps, out.data.data());
    });
  });
}

}  // namespace dputk::engine
