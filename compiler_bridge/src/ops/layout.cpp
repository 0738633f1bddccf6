// Layout ops (flatten, reshape, squeeze, identity) with a fix directly after them → one reshape-fix
// (it requantizes when the fix points differ); the DPU's data movers run reshape-fix, upload, download.
// A channel permutation spelled as layout ops is rewritten into a 1×1 convolution (its rewrite below).
#include <climits>
#include <set>

#include "compiler_ops.hpp"
#include "dputk/dpu/op_traits.hpp"

namespace dputk::compiler_ops {

namespace {

// A run of layout ops from x (an int8 [N,H,W,C] map) — fix2float / float2fix at one fix point,
// transpose, reshape(-fix), each read only by the next — to its last int8 value of x's shape, when that
// value is x's channels reordered, the same at every position (ShuffleNet's channel shuffle: NCHW
// transpose, view to [N,2,C/2,H,W], transpose, view back, NHWC transpose). Returns the run's ops and
// sets source (output channel → input channel); empty when there is no such run.
std::vector<xir::Op*> channel_permutation_run(xir::Op* x, xir::Op* first, std::vector<int>* source) {
  static const std::set<std::string> kLayout{"fix2float", "float2fix", "transpose", "reshape", "reshape-fix"};
  const IV shape = x->get_output_tensor()->get_shape();
  const int fp = fix_point_of(x->get_output_tensor());
  if (shape.size() != 4 || fp == INT_MIN || first->get_type() != "fix2float") return {};
  std::int64_t total = 1;
  for (auto d : shape) total *= d;
  // Each element's index in x, carried through the run.
  std::vector<std::int64_t> v(static_cast<std::size_t>(total));
  for (std::int64_t i = 0; i < total; ++i) v[static_cast<std::size_t>(i)] = i;
  IV cur = shape;
  std::vector<xir::Op*> run, best;
  for (xir::Op* op = first; op && kLayout.count(op->get_type());) {
    const std::string& t = op->get_type();
    if ((t == "fix2float" || t == "float2fix") && op->get_attr_or<std::int32_t>("fix_point", INT_MIN) != fp) break;
    const IV out = op->get_output_tensor()->get_shape();
    if (t == "transpose") {
      const IV order = op->get_attr<IV>("order");
      if (order.size() != cur.size()) break;
      std::vector<std::int64_t> in_stride(cur.size(), 1), moved(v.size());
      for (std::size_t d = cur.size() - 1; d > 0; --d) in_stride[d - 1] = in_stride[d] * cur[d];
      std::vector<std::int64_t> idx(out.size(), 0);
      for (std::size_t o = 0; o < moved.size(); ++o) {
        std::int64_t src = 0;
        for (std::size_t d = 0; d < out.size(); ++d) src += idx[d] * in_stride[static_cast<std::size_t>(order[d])];
        moved[o] = v[static_cast<std::size_t>(src)];
        for (std::size_t d = out.size(); d-- > 0;)
          if (++idx[d] < out[d]) break;
          else idx[d] = 0;
      }
      v.swap(moved);
    }
    cur = out;
    run.push_back(op);
    if (op->get_output_tensor()->get_data_type().to_string().rfind("XINT", 0) == 0 && cur == shape &&
        fix_point_of(op->get_output_tensor()) == fp) {
      // x's channels reordered, positions kept?
      const std::int64_t c = shape[3];
      std::vector<int> s(static_cast<std::size_t>(c));
      bool permutes = true;
      for (std::int64_t i = 0; permutes && i < total; ++i) {
        const std::int64_t from = v[static_cast<std::size_t>(i)];
        permutes = from / c == i / c && (i >= c ? s[static_cast<std::size_t>(i % c)] == from % c : true);
        if (i < c) s[static_cast<std::size_t>(i)] = static_cast<int>(from % c);
      }
      if (permutes) best = run, *source = s;
    }
    const auto fan = op->get_fanout_ops();
    if (fan.size() != 1) break;
    op = fan[0];
  }
  return best;
}

}  // namespace

void register_layout() {
  for (const char* t : {"flatten", "reshape", "squeeze", "identity"})
    add_lower_rule(t, [](LowerContext& cx, const Group& g) -> xir::Op* {
      const xir::Op* c = g.compute;
      auto a = xir::Attrs::create();
      a->set_attr<IV>("shape", c->get_output_tensor()->get_shape());
      if (cx.has_value(c))  // the layout op has other consumers and was lowered on its own
        return cx.add(c->get_name() + "_fix", "reshape-fix", std::move(a), {{"input", {cx.value(c).op}}}, g.fp);
      return cx.add(c->get_name(), "reshape-fix", std::move(a), {{"input", {cx.value(c->get_input_op("input")).op}}}, g.fp);
    });
  for (const char* t : {"reshape-fix", "upload", "download"})
    add_dpu_limits(t, [](const xir::Op&, const compiler::EngineLimits&) { return std::string(); });
  // A channel permutation spelled as layout ops (on the CPU: transposes of float values between the
  // DPU's int8 maps) → one 1×1 convolution from the map they reorder.
  add_dpu_rewrite("fix2float", [](xir::Graph& g, xir::Op& first) -> std::string {
    xir::Op* x = first.get_input_op("input");
    std::vector<int> source;
    const std::vector<xir::Op*> run = x ? channel_permutation_run(x, &first, &source) : std::vector<xir::Op*>();
    if (run.empty()) return {};
    const int fp = fix_point_of(x->get_output_tensor());
    const std::string name = run.back()->get_name();
    if (!as_one_hot_conv(g, run.back(), x, source, fp, fp)) return {};
    for (std::size_t i = run.size() - 1; i-- > 0;) g.remove_op(run[i]);  // each read only by the next
    return name + ": channel permutation (" + std::to_string(run.size()) + " layout ops from " + x->get_name() +
           ") → 1×1 conv2d-fix with one-hot weights";
  });
}

}  // namespace dputk::compiler_ops
