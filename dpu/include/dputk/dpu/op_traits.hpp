// The one op-traits table: what each XIR op type is to the DPU flow — its role in quantization
// (which quant group it belongs to), the DPU nonlinear an activation fuses as, and which fix-form
// ops keep a non-negative value non-negative. The quantizer, the lowering and the executor all ask
// this table; an op type is described here once.
#pragma once
#include <functional>
#include <string>

#include "dputk/dpu/dpu_arith.hpp"
#include "xir/op/op.hpp"

namespace dputk::dpu {

enum class QuantRole {
  NONE,        // not an op type the quantizer knows
  INPUT,       // data: a fix op after it (the network input's fix point)
  CONSTANT,    // const: quantized where its consumers read it (weights, bias)
  LAYOUT,      // no arithmetic, no reordering: keeps its producer's fix point, lowers to reshape-fix
  ACTIVATION,  // joins its producer's quant group and becomes the DPU op's `nonlinear`
  GROUP_HEAD,  // computes a new value: a fix op after it (or after its fused activation)
  AVG_POOL,    // avgpool2d: the DPU's N/2^M factor as a mul, then the fix
  SAME_GRID,   // pad, strided_slice, resize: a fix after it, tied to its input's fix point
  CPU_FLOAT,   // left in float (softmax, custom ops): runs on the CPU behind a fix2float
};

struct OpTraits {
  QuantRole quant = QuantRole::NONE;
  const char* nonlinear = "";        // ACTIVATION: the DPU nonlinear it fuses as ("" = none exists)
  bool keeps_non_negative = false;   // fix form: output >= 0 whenever every input is >= 0
  bool custom = false;               // declared at run time (declare_cpu_float_op): a custom op, or a float op with no DPU form
  const char* quant_form = "";       // GROUP_HEAD: the op type the quantizer writes for it ("" = the same)
  int min_output_fix_point = -128;   // the DPU form is exact only at this output fix point or finer
  bool weighted = false;             // weights · input: its fix points obey the shift_cut / shift_bias limits
};

// The graph attribute of a quantized xmodel that lists the op types declared CPU-float while quantizing
// (custom ops, float ops with no DPU form); the compiler declares them again.
constexpr const char* kCustomOpsAttr = "dputk_custom_ops";
// Private op attribute (not serialized): why the quantizer left this op instance on the CPU, for reports.
constexpr const char* kCpuReasonAttr = "__cpu_reason";

// The traits of an op type (role NONE for a type nobody described).
const OpTraits& op_traits(const std::string& type);
// Declares a custom op type (a CPU plugin, or the quantizer config's custom_ops): left in float by the
// quantizer, placed on the CPU by the compiler. Thread-safe.
void declare_cpu_float_op(const std::string& type);

inline bool is_layout_op(const std::string& t) { return op_traits(t).quant == QuantRole::LAYOUT; }
inline bool is_activation_op(const std::string& t) { return op_traits(t).quant == QuantRole::ACTIVATION; }
inline bool is_group_head(const std::string& t) { return op_traits(t).quant == QuantRole::GROUP_HEAD; }
inline bool is_cpu_float_op(const std::string& t) { return op_traits(t).quant == QuantRole::CPU_FLOAT; }
// A resize (or its fix form, upsample-fix) that interpolates (bilinear): its values lie between its
// input's grid points, and the DPU cannot compute them (it upsamples by nearest neighbour only) — it
// runs on the CPU.
bool interpolates(const xir::Op& op);
// Whether this op is computed in float on the CPU: an op type left in float (is_cpu_float_op: softmax,
// custom ops, float ops with no DPU form), or an interpolating resize whose value nothing reads (a
// segmentation network's final upsampling of its score map — the CPU computes it from the DPU's int8
// scores, and a fix after it would only round the interpolated scores back to the input's grid:
// DeepLabV3, label agreement with float 95.97% → 96.21% on 392 photos). The quantizer writes no fix
// after such an op unless an int8 op reads it; the lowering places it on the CPU.
bool runs_in_float(const xir::Op& op);
// ReLU6 in either spelling (relu6, or clamp to [0, 6] as ONNX Clip imports): the DPU's RELU6.
bool is_relu6(const xir::Op& op);

// The DPU `nonlinear` attribute an activation op fuses as: "NONE" for no activation (nullptr), "" when
// the op has no DPU form (e.g. a clamp other than [0, 6]).
std::string dpu_nonlinear_of(const xir::Op* activation);
// A fix-form op's `nonlinear` attribute as the arithmetic's enum; throws naming the op when unknown.
Nonlinear parse_nonlinear(const xir::Op& op);

// avgpool2d: "" when the DPU's average (every window divided by kh·kw, padding counted; the N/2^M
// factor of dpu_arith.hpp) is this op's, else why not (an average that leaves its padding out).
std::string avg_pool_dpu_problem(const xir::Op& op);
// eltwise-fix's input shapes: "" when every input has the output's shape, or (MUL) is a [N, 1, 1, C]
// channel scale broadcast over H and W (squeeze-and-excitation); else what is wrong.
std::string eltwise_fix_shape_problem(const xir::Op& op);
// Whether a fix-form op's int8 output is >= 0 for any input, given which of its inputs are.
bool fix_output_non_negative(const xir::Op& op, const std::function<bool(const xir::Op*)>& input_non_negative);

}  // namespace dputk::dpu
