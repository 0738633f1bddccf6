#include <mutex>

#include "compiler_ops.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/op_traits.hpp"

namespace dputk::compiler_ops {

#define DPUTK_COMPILER_OP(name) void register_##name();
#include "op_list.inc"
#undef DPUTK_COMPILER_OP

namespace {
struct Registry {
  std::map<std::string, LowerRule> rules;
  std::map<std::string, DpuLimits> limits;
  std::map<std::string, DpuHint> hints;
  std::map<std::string, std::vector<DpuRewrite>> rewrites;
};
Registry& table() {
  static Registry r;
  return r;
}
// The op files register on first use (thread-safe: a function-local static).
void ensure_registered() {
  static const bool done = [] {
#define DPUTK_COMPILER_OP(name) register_##name();
#include "op_list.inc"
#undef DPUTK_COMPILER_OP
    return true;
  }();
  (void)done;
}
}  // namespace

// A second rule for the same type (mul: the quantizer's average-pool factor in pool.cpp, a product of
// feature maps in eltwise.cpp) is tried when the first declines (returns nullptr).
void add_lower_rule(const std::string& float_type, LowerRule rule) {
  auto it = table().rules.find(float_type);
  if (it == table().rules.end()) {
    table().rules[float_type] = std::move(rule);
    return;
  }
  LowerRule first = std::move(it->second);
  it->second = [first, rule](LowerContext& cx, const Group& g) -> xir::Op* {
    if (xir::Op* op = first(cx, g)) return op;
    return rule(cx, g);
  };
}
const LowerRule* lower_rule(const std::string& float_type) {
  ensure_registered();
  auto it = table().rules.find(float_type);
  return it == table().rules.end() ? nullptr : &it->second;
}
void add_dpu_limits(const std::string& fix_type, DpuLimits limits) { table().limits[fix_type] = std::move(limits); }
const DpuLimits* dpu_limits(const std::string& fix_type) {
  ensure_registered();
  auto it = table().limits.find(fix_type);
  return it == table().limits.end() ? nullptr : &it->second;
}

void add_dpu_hint(const std::string& fix_type, DpuHint hint) { table().hints[fix_type] = std::move(hint); }
const DpuHint* dpu_hint(const std::string& fix_type) {
  ensure_registered();
  auto it = table().hints.find(fix_type);
  return it == table().hints.end() ? nullptr : &it->second;
}

void add_dpu_rewrite(const std::string& fix_type, DpuRewrite rewrite) { table().rewrites[fix_type].push_back(std::move(rewrite)); }
const std::vector<DpuRewrite>& dpu_rewrites(const std::string& fix_type) {
  ensure_registered();
  static const std::vector<DpuRewrite> none;
  auto it = table().rewrites.find(fix_type);
  return it == table().rewrites.end() ? none : it->second;
}

void fail(const xir::Op* op, const std::string& why) { dpu::op_fail(*op, why, "lowering"); }

std::string nonlinear_of(const xir::Op* act) {
  std::string nl = dpu::dpu_nonlinear_of(act);
  if (nl.empty()) fail(act, "this activation cannot be fused into a DPU op");
  return nl;
}

void copy_window(const xir::Op* from, xir::Attrs& a, bool with_dilation) {
  a.set_attr<IV>("kernel", from->get_attr<IV>("kernel"));
  a.set_attr<IV>("stride", from->get_attr<IV>("stride"));
  if (with_dilation) a.set_attr<IV>("dilation", from->get_attr_or<IV>("dilation", {1, 1}));
  a.set_attr<IV>("pad", from->get_attr_or<IV>("pad", {0, 0, 0, 0}));
}

IV effective_pad(const xir::Op* op) {
  IV pad = op->get_attr_or<IV>("pad", {0, 0, 0, 0});
  const IV& in = op->get_input_tensor("input")->get_shape();
  const IV& out = op->get_output_tensor()->get_shape();
  const IV k = op->get_attr<IV>("kernel"), s = op->get_attr<IV>("stride");
  const IV d = op->get_attr_or<IV>("dilation", {1, 1});
  const int need_h = (out[1] - 1) * s[1] + (k[1] - 1) * d[1] + 1 - in[1] - pad[2];
  const int need_w = (out[2] - 1) * s[0] + (k[0] - 1) * d[0] + 1 - in[2] - pad[0];
  // Right/bottom padding is what the last window actually reads (vai_c_xir trims unused padding;
  // CEIL mode adds some).
  pad[3] = std::max(need_h, 0);
  pad[1] = std::max(need_w, 0);
  const std::string mode = op->get_attr_or<std::string>("pad_mode", "FLOOR");
  if (mode == "SAME") {
    pad[2] = std::max(need_h + pad[2], 0) / 2;
    pad[0] = std::max(need_w + pad[0], 0) / 2;
  }
  return pad;
}

IV unit_stride_where_single(const xir::Op* op) {
  IV s = op->get_attr<IV>("stride");
  const IV& out = op->get_output_tensor()->get_shape();
  if (out[2] == 1) s[0] = 1;
  if (out[1] == 1) s[1] = 1;
  return s;
}

namespace {
std::string pair_text(const IV& v) { return "[" + std::to_string(v.at(0)) + ", " + std::to_string(v.at(1)) + "]"; }
}  // namespace

std::string check_range(const char* what, const IV& v, int lo, int hi) {
  for (int x : v)
    if (x < lo || x > hi)
      return std::string(what) + " " + pair_text(v) + " is outside the engine's range " + std::to_string(lo) + "–" + std::to_string(hi);
  return "";
}

std::string check_nonlinear(const xir::Op& op, const std::vector<std::string>& allowed, const char* engine) {
  const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
  if (nl.empty()) return "";
  for (const auto& a : allowed)
    if (a == nl) return "";
  return "nonlinear " + nl + " is not supported by the " + engine;
}

std::string alu_window_reason(const xir::Op& op, const compiler::EngineLimits& l) {
  const IV k = op.get_attr<IV>("kernel"), s = op.get_attr<IV>("stride");
  const IV pad = op.get_attr_or<IV>("pad", {0, 0, 0, 0});
  if (auto r = check_range("kernel", k, 1, l.alu_kernel_max); !r.empty()) return r;
  if (auto r = check_range("stride", s, 1, l.alu_stride_max); !r.empty()) return r;
  if (pad[0] > l.alu_pad_lt_max || pad[2] > l.alu_pad_lt_max) return "left/top padding above " + std::to_string(l.alu_pad_lt_max);
  if (pad[1] > l.alu_pad_rb_max || pad[3] > l.alu_pad_rb_max) return "right/bottom padding above " + std::to_string(l.alu_pad_rb_max);
  return "";
}

}  // namespace dputk::compiler_ops
