// Internal: the compiler's side of the op library — per op type, its lowering rule (quantizer form →
// the compiled fix-op form, one quant group at a time) and its DPU engine limits (why a fix-form op
// cannot run on the target's engines). Each op's file under compiler_bridge/src/ops/ registers both;
// op_list.inc lists the files. The engine's kernels for the same ops are in runtime/engine/src/ops/.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dputk/compiler/targets.hpp"
#include "xir/graph/graph.hpp"

namespace dputk::compiler_ops {

using IV = std::vector<std::int32_t>;

struct Lowered {
  xir::Op* op = nullptr;
  int fix_point = 0;
};

// What a lowering rule may use of the lowering in progress.
class LowerContext {
 public:
  virtual ~LowerContext() = default;
  // The int8 value a quantizer-form op (a fix op, or an op whose fix was lowered) stands for.
  virtual const Lowered& value(const xir::Op* op) = 0;
  virtual bool has_value(const xir::Op* op) const = 0;
  // The const-fix of a parameter (the fix op after a const).
  virtual xir::Op* param(const xir::Op* fix) = 0;
  virtual xir::Op* add(const std::string& name, const std::string& type, std::unique_ptr<xir::Attrs> attrs,
                       const std::map<std::string, std::vector<xir::Op*>>& inputs, int fix_point) = 0;
  virtual void absorb(const xir::Op* op) = 0;       // quantizer-form ops the rule consumed
  virtual void drop_value(const xir::Op* op) = 0;   // a lowered value the rule replaced (and removed)
  virtual xir::Graph& out() = 0;
};

// One quant group: `compute` computes the value the fix op quantizes (at fix point `fp`); `act` is the
// activation between them (nullptr: none).
struct Group {
  const xir::Op* compute;
  const xir::Op* act;
  const xir::Op* fix;
  int fp;
};
// Returns the lowered op that computes the group's int8 value, or nullptr when this op has no DPU form
// (the lowering then runs it on the CPU: fix2float → the float op → float2fix).
using LowerRule = std::function<xir::Op*(LowerContext&, const Group&)>;
// Empty when the fix-form op runs on the target's DPU engines, else why not.
using DpuLimits = std::function<std::string(const xir::Op&, const compiler::EngineLimits&)>;

void add_lower_rule(const std::string& float_type, LowerRule rule);
const LowerRule* lower_rule(const std::string& float_type);
void add_dpu_limits(const std::string& fix_type, DpuLimits limits);
const DpuLimits* dpu_limits(const std::string& fix_type);
// What a user can do when the op's limits keep it off the DPU (shown by dpu-inspect).
using DpuHint = std::function<std::string(const xir::Op&)>;
void add_dpu_hint(const std::string& fix_type, DpuHint hint);
const DpuHint* dpu_hint(const std::string& fix_type);
// An exact DPU form for a fix-form op no DPU engine has an instruction for (compiler::rewrite_for_dpu,
// before partitioning): it rewrites the graph from `op` on and returns what it did for the compile log,
// or an empty string (graph untouched) when op is not a case it has a form for. It may replace or
// remove op and ops after it; rewrite_for_dpu applies the rewrites until none applies.
using DpuRewrite = std::function<std::string(xir::Graph&, xir::Op& op)>;
void add_dpu_rewrite(const std::string& fix_type, DpuRewrite rewrite);  // several per type: tried in order
const std::vector<DpuRewrite>& dpu_rewrites(const std::string& fix_type);

// Helpers the rules share.
[[noreturn]] void fail(const xir::Op* op, const std::string& why);  // "lowering op '…' (…): why"
std::string nonlinear_of(const xir::Op* act);                        // the DPU nonlinear; fails when none
void copy_window(const xir::Op* from, xir::Attrs& a, bool with_dilation);
IV effective_pad(const xir::Op* op);            // explicit pads (pad_mode CEIL / SAME resolved, unused padding trimmed)
IV unit_stride_where_single(const xir::Op* op);  // vai_c_xir writes stride 1 along a single-output axis
std::string check_range(const char* what, const IV& v, int lo, int hi);
std::string check_nonlinear(const xir::Op& op, const std::vector<std::string>& allowed, const char* engine);
std::string alu_window_reason(const xir::Op& op, const compiler::EngineLimits& l);  // depthwise / pool engines
// A strided_slice(-fix) that keeps every position of a 4-D map and a window of its channels from
// *first on (pad_slice.cpp).
bool is_channel_window(const xir::Op& slice, int* first);

// Helpers the rewrites share (dpu_rewrites.cpp).
// A tensor's fix point; INT_MIN without one.
int fix_point_of(const xir::Tensor* t);
// Replaces `old` by a new op `type` (named old's name + suffix) computing the same tensor: its name,
// shape and fix attrs, read by old's readers. Throws std::logic_error when the shape differs.
xir::Op* replace_op(xir::Graph& g, xir::Op* old, const std::string& suffix, const std::string& type, std::unique_ptr<xir::Attrs> attrs,
                    const std::map<std::string, std::vector<xir::Op*>>& inputs);
// Replaces `old` (output [N,H,W,oc] at fix point fo) by a 1×1 conv2d-fix of `input` ([N,H,W,ic] at fix
// point fi) whose output channel c is input channel source[c] (-1: zero). False (graph untouched) when
// either has no fix point or the requantization fo − fi does not fit an int8 weight.
bool as_one_hot_conv(xir::Graph& g, xir::Op* old, xir::Op* input, const std::vector<int>& source, int fi, int fo);

}  // namespace dputk::compiler_ops
