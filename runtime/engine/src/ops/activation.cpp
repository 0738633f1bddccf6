// relu, relu6, clamp, leaky-relu (float). On the DPU they are the `nonlinear` of the op before them
// (dpu/op_traits.hpp); the fast convolutions fuse them (the executor asks activation_of).
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

bool activation_of(const xir::Op& op, ref::ActivationParams* out) {
  const std::string& t = op.get_type();
  ref::ActivationParams a;
  if (t == "relu") a.kind = ref::Activation::RELU;
  else if (t == "relu6") a.kind = ref::Activation::RELU6;
  else if (t == "clamp") {
    a.kind = ref::Activation::CLAMP;
    a.lo = op.get_attr<float>("min");
    a.hi = op.get_attr<float>("max");
  } else if (t == "leaky-relu") {
    a.kind = ref::Activation::LEAKY_RELU;
    a.alpha = op.get_attr<float>("alpha");
  } else {
    return false;
  }
  *out = a;
  return true;
}

void register_activation(OpRegistry& r) {
  for (const char* t : {"relu", "relu6", "clamp", "leaky-relu"})
    r.add_float(t, KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
      ref::ActivationParams act;
      activation_of(a.op, &act);
      return float_lambda([act](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
        ref::activation(in[0]->data.data(), out.data.data(), out.numel(), act);
      });
    });
}

}  // namespace dputk::engine
