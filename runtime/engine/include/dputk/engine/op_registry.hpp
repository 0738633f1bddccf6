// The op library's registry: each op type's kernels, registered by the op's own file under
// runtime/engine/src/ops/ (TFLite Micro's pattern: a plain reference kernel and an optimized one under
// the same name, sharing their preparation). The one executor asks it for
//   - a float kernel (float evaluation, calibration, and the float ops of CPU subgraphs), and
//   - a fix kernel (the DPU's integer arithmetic on int8 values with fix points).
// Op types nobody registered fall back to custom-op plugins (libvart_op_imp_<type>.so, op_plugins.hpp).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/engine/float_ref_kernels.hpp"
#include "dputk/engine/float_tensor.hpp"
#include "xir/op/op.hpp"

namespace dputk::engine {

using ConstantLookup = std::function<const FloatTensor*(const xir::Op*)>;

class FloatKernel {
 public:
  virtual ~FloatKernel() = default;
  // inputs: every input of the op in argument order (constants included); out is sized already.
  virtual void run(const std::vector<const FloatTensor*>& inputs, FloatTensor& out) = 0;
  // false: the kernel keeps its constant inputs (weights, bias) in a form of its own and run() does not
  // read them — the executor then does not keep them.
  virtual bool reads_constants() const { return true; }
  // Fusion hooks, implemented by the fast convolutions.
  virtual bool can_fuse() const { return false; }
  virtual void fuse_activation(const ref::ActivationParams&) {}
  virtual void fuse_sum() {}  // out holds the addend when run is called
};

// What a float kernel is made from.
struct FloatKernelArgs {
  const xir::Op& op;
  ConstantLookup constants;  // the value of an input op when it is constant (weights, bias), else nullptr
  FixHook fix_hook;          // calibration: replaces what fix ops compute
  std::function<int(const xir::Op*)> fix_point_of;  // calibration: a fix op's current fix point
};

// A fix (integer) kernel: inputs in argument order (int8 with fix points, or float values in `real`),
// out sized already with its fix point set.
using FixKernel = std::function<void(const std::vector<const DpuTensor*>&, DpuTensor&)>;
struct FixKernelArgs {
  const xir::Op& op;
  std::function<const DpuTensor*(const xir::Op*)> constants;  // const-fix inputs (decoded weights, bias)
  std::function<bool(const xir::Op*)> non_negative;           // whether an input's value is known >= 0
  std::shared_ptr<std::vector<std::int32_t>> scratch;          // one s32 buffer shared by the executor's kernels
  int* fused_count;                                            // fast convolutions count what they fused
};

// A factory returns nullptr when it does not take this op (an optimized kernel for a case it does not
// cover); the reference kernel then takes it. Errors in attributes throw (dpu::op_fail).
using FloatFactory = std::function<std::unique_ptr<FloatKernel>(const FloatKernelArgs&)>;
using FixFactory = std::function<FixKernel(const FixKernelArgs&)>;

enum class KernelKind { REFERENCE, OPTIMIZED };

class OpRegistry {
 public:
  static OpRegistry& instance();  // built-in ops registered on first use
  void add_float(const std::string& type, KernelKind kind, FloatFactory f);
  void add_fix(const std::string& type, KernelKind kind, FixFactory f);
  bool has_float(const std::string& type) const;
  bool has_fix(const std::string& type) const;
  std::vector<std::string> float_types() const;
  std::vector<std::string> fix_types() const;

  // The optimized kernel when `fast` and it takes the op, else the reference one; custom-op plugins
  // for types without a float kernel. Throws naming the op when there is none.
  std::unique_ptr<FloatKernel> make_float(const FloatKernelArgs& args, bool fast) const;
  FixKernel make_fix(const FixKernelArgs& args, bool fast) const;  // throws naming the op when none

 private:
  OpRegistry();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The activation an op applies, when it is a pure activation op (relu, relu6, clamp, leaky-relu).
bool activation_of(const xir::Op& op, ref::ActivationParams* out);

// A float kernel from a lambda (for the simple ops).
template <typename Fn>
class LambdaKernel : public FloatKernel {
 public:
  explicit LambdaKernel(Fn fn) : fn_(std::move(fn)) {}
  void run(const std::vector<const FloatTensor*>& in, FloatTensor& out) override { fn_(in, out); }

 private:
  Fn fn_;
};
template <typename Fn>
std::unique_ptr<FloatKernel> float_lambda(Fn fn) {
  return std::make_unique<LambdaKernel<Fn>>(std::move(fn));
}

// The value of a const op (float32, int8/xint8, int32 or int64 data) as floats; throws naming the op.
FloatTensor decode_const(const xir::Op& op);
// The int8 values and fix point of a const-fix op: its `data` attr, or — in a vai_c_xir-compiled DPU
// subgraph, where `data` is empty — the bytes of the subgraph's reg_id_to_parameter_value["REG_<reg_id>"]
// at the tensor's ddr_addr. Throws naming the op.
DpuTensor decode_const_fix(const xir::Op& op);

}  // namespace dputk::engine
