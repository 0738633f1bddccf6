// Internal: the kernel interface of the float engine and the op-type → kernel registry.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "dputk/engine/float_ref_kernels.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/engine/float_tensor.hpp"
#include "xir/op/op.hpp"

namespace dputk::engine {

using ConstantLookup = std::function<const FloatTensor*(const xir::Op*)>;

class FloatKernel {
 public:
  virtual ~FloatKernel() = default;
  // inputs: every input of the op in argument order (constants included); out is sized already.
  virtual void run(const std::vector<const FloatTensor*>& inputs, FloatTensor& out) = 0;
  // Fusion hooks, implemented by convolutions.
  virtual bool can_fuse() const { return false; }
  virtual void fuse_activation(const ref::ActivationParams&) {}
  virtual void fuse_sum() {}  // out holds the addend when run is called
};

// Throws std::runtime_error naming the op when its type has no kernel or its attrs are unsupported.
std::unique_ptr<FloatKernel> make_float_kernel(const xir::Op& op, const ConstantLookup& constants, bool fast,
                                               const FixHook& fix_hook = nullptr,
                                               const std::function<int(const xir::Op*)>& fix_point_of = nullptr);
// The activation an op applies, when it is a pure activation op (relu, relu6, clamp, leaky-relu).
bool activation_of(const xir::Op& op, ref::ActivationParams* out);

}  // namespace dputk::engine
