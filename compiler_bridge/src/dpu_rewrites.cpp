// Exact DPU forms for data-movement ops no DPU engine has an instruction for (see partition.hpp).
#include "dputk/compiler/partition.hpp"
#include "ops/compiler_ops.hpp"

#include <climits>
#include <set>
#include <stdexcept>

namespace dputk::compiler {

namespace {

using IV = std::vector<std::int32_t>;

// Replaces `old` by a new op computing the same tensor (same name, same fix attrs).
xir::Op* replace_op(xir::Graph& g, xir::Op* old, const std::string& suffix, const std::string& type, std::unique_ptr<xir::Attrs> attrs,
                    const std::map<std::string, std::vector<xir::Op*>>& inputs) {
  xir::Op* n = g.add_op(old->get_name() + suffix, type, std::move(attrs), inputs, old->get_output_tensor()->get_data_type());
  if (n->get_output_tensor()->get_shape() != old->get_output_tensor()->get_shape())
    throw std::logic_error("rewriting '" + old->get_name() + "' as " + type + " changed its shape");
  n->get_output_tensor()->set_attrs(old->get_output_tensor()->get_attrs());
  const std::string tensor = old->get_output_tensor()->get_name();
  for (xir::Op* u : old->get_fanout_ops()) u->replace_input_op(old, n);
  g.remove_op(old);
  n->get_output_tensor()->rename(tensor);
  return n;
}

// strided_slice-fix that keeps every element of N and C and subsamples H/W from index 0.
bool is_spatial_subsample(const xir::Op& op, IV* stride_wh) {
  const IV begin = op.get_attr_or<IV>("begin", {}), strides = op.get_attr_or<IV>("strides", {});
  const IV& in = op.get_input_tensor("input")->get_shape();
  const IV& out = op.get_output_tensor()->get_shape();
  if (begin.size() != 4 || strides.size() != 4 || in.size() != 4) return false;
  for (int a = 0; a < 4; ++a)
    if (begin[a] != 0 || strides[a] < 1) return false;
  if (strides[0] != 1 || strides[3] != 1 || out[0] != in[0] || out[3] != in[3]) return false;
  for (int a : {1, 2})
    if (out[a] != (in[a] + strides[a] - 1) / strides[a]) return false;
  *stride_wh = {strides[2], strides[1]};
  return true;
}

// strided_slice-fix taking a window of channels to another fix point (at the same fix point it is an
// address offset for the DPU's load engine already: pad_slice.cpp's limits).
bool is_requantized_channel_window(const xir::Op& op, int* first) {
  const xir::Tensor *ti = op.get_input_tensor("input"), *to = op.get_output_tensor();
  return compiler_ops::is_channel_window(op, first) && ti->has_attr("fix_point") && to->has_attr("fix_point") &&
         ti->get_attr<std::int32_t>("fix_point") != to->get_attr<std::int32_t>("fix_point");
}

// pad-fix that only zero-pads channels (NHWC paddings: before/after pairs per dimension).
bool is_channel_zero_pad(const xir::Op& op, int* before) {
  const IV p = op.get_attr<IV>("paddings");
  if (p.size() != 8 || op.get_attr<std::string>("mode") != "CONSTANT") return false;
  if (op.has_attr("constant_values")) {
    const auto& v = op.get_attr<std::vector<char>>("constant_values");
    for (char c : v)
      if (c != 0) return false;
  }
  for (int i = 0; i < 6; ++i)
    if (p[i] != 0) return false;
  *before = p[6];
  return true;
}

// `old` (output [N,H,W,oc] at fix point fo) as a 1×1 conv2d-fix of `input` ([N,H,W,ic] at fix point fi)
// whose output channel c is input channel source[c] (-1: zero): one weight 2^k per row, k = max(0, fo − fi)
// so that shift_cut = fi + k − fo >= 0, no bias — exactly requantize(x, fi, fo) (dpu_arith.hpp's
// conv_output with acc = x·2^k). False when k would not fit the int8 weight (fo − fi > 6).
bool as_one_hot_conv(xir::Graph& g, xir::Op* old, xir::Op* input, const std::vector<int>& source, int fi, int fo, const std::string& why,
                     std::vector<std::string>& log) {
  const int k = std::max(0, fo - fi);
  if (k > 6) return false;
  const std::string name = old->get_name();
  const int ic = input->get_output_tensor()->get_shape().back(), oc = static_cast<int>(source.size());
  std::vector<char> w(static_cast<std::size_t>(oc) * ic, 0);
  for (int c = 0; c < oc; ++c)
    if (source[c] >= 0) w[static_cast<std::size_t>(c) * ic + source[c]] = static_cast<char>(1 << k);
  auto ca = xir::Attrs::create();
  ca->set_attr<IV>("shape", {oc, 1, 1, ic});
  ca->set_attr<std::string>("data_type", "XINT8");
  ca->set_attr<std::vector<char>>("data", w);
  xir::Op* weights = g.add_op(name + "_one_hot_weights", "const-fix", std::move(ca), {}, xir::DataType("XINT8"));
  auto* wt = weights->get_output_tensor();
  wt->set_attr<std::int32_t>("fix_point", k);
  wt->set_attr<std::int32_t>("bit_width", 8);
  wt->set_attr<bool>("if_signed", true);
  wt->set_attr<std::string>("round_mode", "DPU_ROUND");
  auto a = xir::Attrs::create();
  a->set_attr<IV>("kernel", {1, 1});
  a->set_attr<IV>("stride", {1, 1});
  a->set_attr<IV>("pad", {0, 0, 0, 0});
  a->set_attr<std::string>("pad_mode", "FLOOR");
  a->set_attr<std::string>("nonlinear", "NONE");
  a->set_attr<bool>("bias_term", false);
  a->set_attr<std::int32_t>("in_dim", ic);
  a->set_attr<std::int32_t>("out_dim", oc);
  replace_op(g, old, "_as_conv", "conv2d-fix", std::move(a), {{"input", {input}}, {"weights", {weights}}});
  log.push_back(name + ": " + why + " → 1×1 conv2d-fix with one-hot weights");
  return true;
}

int fix_point_of(const xir::Tensor* t) { return t->has_attr("fix_point") ? t->get_attr<std::int32_t>("fix_point") : INT_MIN; }

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

std::vector<std::string> rewrite_for_dpu(xir::Graph& g) {
  std::vector<std::string> log;
  // Channel permutations spelled as layout ops (on the CPU: transposes of float values between the DPU's
  // int8 maps) → one 1×1 convolution from the map they reorder.
  struct Permutation {
    xir::Op* from;
    std::vector<xir::Op*> run;
    std::vector<int> source;
  };
  std::vector<Permutation> permutations;
  for (xir::Op* x : g.topological_sort())
    for (xir::Op* f : x->get_fanout_ops()) {
      Permutation p{x, {}, {}};
      p.run = channel_permutation_run(x, f, &p.source);
      if (!p.run.empty()) permutations.push_back(std::move(p));
    }
  for (Permutation& p : permutations) {
    const int fp = fix_point_of(p.from->get_output_tensor());
    const std::string what = "channel permutation (" + std::to_string(p.run.size()) + " layout ops from " + p.from->get_name() + ")";
    if (!as_one_hot_conv(g, p.run.back(), p.from, p.source, fp, fp, what, log)) continue;
    for (std::size_t i = p.run.size() - 1; i-- > 0;) g.remove_op(p.run[i]);  // each read only by the next
  }
  for (xir::Op* op : g.topological_sort()) {
    IV stride;
    int before = 0;
    const std::string name = op->get_name();
    if (op->get_type() == "strided_slice-fix" && is_spatial_subsample(*op, &stride)) {
      auto a = xir::Attrs::create();
      a->set_attr<IV>("kernel", {1, 1});
      a->set_attr<IV>("stride", stride);
      a->set_attr<IV>("pad", {0, 0, 0, 0});
      a->set_attr<std::string>("type", "MAX");
      replace_op(g, op, "_as_pool", "pool-fix", std::move(a), {{"input", {op->get_input_op("input")}}});
      log.push_back(name + ": strided_slice-fix → pool-fix MAX 1×1 stride [" + std::to_string(stride[0]) + ", " +
                    std::to_string(stride[1]) + "]");
    } else if (op->get_type() == "pad-fix" && is_channel_zero_pad(*op, &before)) {
      const int ic = op->get_input_tensor("input")->get_shape().back(), oc = op->get_output_tensor()->get_shape().back();
      std::vector<int> source(static_cast<std::size_t>(oc), -1);
      for (int i = 0; i < ic; ++i) source[static_cast<std::size_t>(i + before)] = i;
      as_one_hot_conv(g, op, op->get_input_op("input"), source, fix_point_of(op->get_input_tensor("input")), fix_point_of(op->get_output_tensor()),
                      "channel zero-pad", log);
    } else if (op->get_type() == "strided_slice-fix" && is_requantized_channel_window(*op, &before)) {
      const int oc = op->get_output_tensor()->get_shape().back();
      std::vector<int> source(static_cast<std::size_t>(oc));
      for (int c = 0; c < oc; ++c) source[static_cast<std::size_t>(c)] = before + c;
      as_one_hot_conv(g, op, op->get_input_op("input"), source, fix_point_of(op->get_input_tensor("input")),
                      fix_point_of(op->get_output_tensor()), "window of channels to another fix point", log);
    }
  }
  return log;
}

}  // namespace dputk::compiler
