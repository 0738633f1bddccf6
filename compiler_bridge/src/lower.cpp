#include "dputk/compiler/lower.hpp"

#include "dputk/dpu/fix_math.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/op_traits.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace dputk {

namespace {

using IV = std::vector<std::int32_t>;

[[noreturn]] void fail(const xir::Op* op, const std::string& why) { dpu::op_fail(*op, why, "lowering"); }


void set_fix_attrs(xir::Tensor* t, int fp) {
  t->set_attr<std::int32_t>("fix_point", fp);
  t->set_attr<std::int32_t>("bit_width", 8);
  t->set_attr<bool>("if_signed", true);
  t->set_attr<std::string>("round_mode", "DPU_ROUND");
}

struct Lowered {
  xir::Op* op = nullptr;
  int fix_point = 0;
};

class Lowering {
 public:
  explicit Lowering(const xir::Graph& q) : q_(q), out_(xir::Graph::create(q.get_name())) {}

  std::unique_ptr<xir::Graph> run() {
    // Custom op types the quantizer left in float (they run on the CPU, from their plugins).
    for (const auto& t : q_.attrs().get_attr_or<std::vector<std::string>>(dpu::kCustomOpsAttr, {})) dpu::declare_cpu_float_op(t);
    for (const xir::Op* op : q_.topological_sort()) {
      const std::string& t = op->get_type();
      if (t == "fix") lower_fix(op);
      else if (dpu::is_layout_op(t)) lower_layout(op);
      else if (dpu::is_cpu_float_op(t)) lower_cpu_float(op);
    }
    // Every op must have been absorbed into some fix group.
    for (const xir::Op* op : q_.topological_sort())
      if (!absorbed_.count(op) && !map_.count(op) && !floats_.count(op) && op->get_type() != "const" && op->get_type() != "fix" &&
          !feeds_shape_only(op))
        fail(op, "has no fix op after it: the graph is not fully quantized");
    for (const xir::Op* op : q_.get_tail_ops()) {
      if (floats_.count(op)) continue;  // already a float output (softmax after fix2float)
      auto it = map_.find(op);
      if (it == map_.end()) fail(op, "graph output is not quantized");
      fix2float(it->second);
    }
    return std::move(out_);
  }

 private:
  xir::Op* add(const std::string& name, const std::string& type, std::unique_ptr<xir::Attrs> a,
               const std::map<std::string, std::vector<xir::Op*>>& in, int fp) {
    xir::Op* op = out_->add_op(name, type, std::move(a), in, xir::DataType(xir::DataType::XINT, 8));
    set_fix_attrs(op->get_output_tensor(), fp);
    return op;
  }

  // int8 → float for the CPU (one per int8 value), named as vai_c_xir names it: the int8 tensor's
  // name and a trailing '_'.
  xir::Op* fix2float(const Lowered& v) {
    auto it = to_float_.find(v.op);
    if (it != to_float_.end()) return it->second;
    auto a = xir::Attrs::create();
    a->set_attr<std::int32_t>("fix_point", v.fix_point);
    a->set_attr<std::int32_t>("bit_width", 8);
    a->set_attr<std::string>("round_mode", "DPU_ROUND");
    a->set_attr<bool>("if_signed", true);
    return to_float_[v.op] = out_->add_op(v.op->get_output_tensor()->get_name() + "_", "fix2float", std::move(a), {{"input", {v.op}}},
                                          xir::DataType(xir::DataType::FLOAT, 32));
  }

  // A float op the quantizer leaves unquantized (softmax after the last fix, custom ops anywhere): the
  // op as it is, for the CPU, reading float values — int8 ones through a fix2float, float consts as they
  // are. A fix after it becomes a float2fix (lower_fix).
  void lower_cpu_float(const xir::Op* op) {
    std::map<std::string, std::vector<xir::Op*>> in;
    for (const auto& [arg, ops] : op->get_input_ops())
      for (const xir::Op* src : ops) {
        if (floats_.count(src)) in[arg].push_back(floats_.at(src));
        else if (src->get_type() == "const") in[arg].push_back(float_const(src));
        else in[arg].push_back(fix2float(value(src)));
      }
    floats_[op] = out_->add_op(op->get_name(), op->get_type(), op->get_attrs(), in, xir::DataType(xir::DataType::FLOAT, 32));
  }

  xir::Op* float_const(const xir::Op* c) {
    auto it = floats_.find(c);
    if (it != floats_.end()) return it->second;
    return floats_[c] = out_->add_op(c->get_name(), "const", c->get_attrs(), {}, xir::DataType(xir::DataType::FLOAT, 32));
  }

  const Lowered& value(const xir::Op* op) {
    auto it = map_.find(op);
    if (it == map_.end()) fail(op, "its value is used before it was quantized");
    return it->second;
  }

  xir::Op* const_fix(const xir::Op* c, int fp) {
    const auto& bytes = c->get_attr<std::vector<char>>("data");
    std::vector<char> q(bytes.size() / 4);
    for (std::size_t i = 0; i < q.size(); ++i) {
      float v;
      std::memcpy(&v, bytes.data() + 4 * i, 4);
      // Parameters are quantized with STD_ROUND (as calibration did; on-grid values map exactly).
      const double x = dpu::round_value(static_cast<double>(v) * std::ldexp(1.0, fp), dpu::RoundMode::STD_ROUND);
      if (x < -128 || x > 127) fail(c, "value " + std::to_string(v) + " is outside the int8 range at fix point " + std::to_string(fp));
      q[i] = static_cast<char>(static_cast<int>(x));
    }
    auto a = xir::Attrs::create();
    a->set_attr<IV>("shape", c->get_output_tensor()->get_shape());
    a->set_attr<std::string>("data_type", "XINT8");
    a->set_attr<std::vector<char>>("data", q);
    return add(c->get_name(), "const-fix", std::move(a), {}, fp);
  }

  xir::Op* param(const xir::Op* fix_or_const) {
    if (fix_or_const->get_type() != "fix") fail(fix_or_const, "parameters must be quantized by a fix op");
    return value(fix_or_const).op;
  }

  void lower_layout(const xir::Op* op) {
    // A layout op whose only consumer is a fix op becomes one reshape-fix there (as vai_c_xir does).
    if (op->get_fanout_num() == 1 && op->get_fanout_ops()[0]->get_type() == "fix") return;
    const Lowered& in = value(op->get_input_op("input"));
    if (op->get_type() == "identity") {
      map_[op] = in;
      return;
    }
    auto a = xir::Attrs::create();
    a->set_attr<IV>("shape", op->get_output_tensor()->get_shape());
    xir::Op* r = add(op->get_name(), "reshape-fix", std::move(a), {{"input", {in.op}}}, in.fix_point);
    // int8 tensors are named <float op>_fix in compiled files
    if (!q_.get_tensor(op->get_name() + "_fix")) r->get_output_tensor()->rename(op->get_name() + "_fix");
    map_[op] = {r, in.fix_point};
  }

  static std::string nonlinear_of(const xir::Op* act) {
    std::string nl = dpu::dpu_nonlinear_of(act);
    if (nl.empty()) fail(act, "this activation cannot be fused into a DPU op");
    return nl;
  }

  static void copy_window(const xir::Op* from, xir::Attrs& a, bool with_dilation) {
    a.set_attr<IV>("kernel", from->get_attr<IV>("kernel"));
    a.set_attr<IV>("stride", from->get_attr<IV>("stride"));
    if (with_dilation) a.set_attr<IV>("dilation", from->get_attr_or<IV>("dilation", {1, 1}));
    a.set_attr<IV>("pad", from->get_attr_or<IV>("pad", {0, 0, 0, 0}));
  }

  // Explicit pads for a window op whose pad_mode is not FLOOR (CEIL adds bottom/right padding).
  static IV effective_pad(const xir::Op* op) {
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

  // A stride along an axis with one output position is meaningless; vai_c_xir writes 1 there.
  static IV unit_stride_where_single(const xir::Op* op) {
    IV s = op->get_attr<IV>("stride");
    const IV& out = op->get_output_tensor()->get_shape();
    if (out[2] == 1) s[0] = 1;
    if (out[1] == 1) s[1] = 1;
    return s;
  }

  void lower_fix(const xir::Op* fix) {
    const int fp = fix->get_attr<std::int32_t>("fix_point");
    if (fix->get_attr<std::int32_t>("bit_width") != 8) fail(fix, "only 8-bit fix ops can run on the DPU");
    const xir::Op* x = fix->get_input_op("input");
    const std::string& t = x->get_type();
    if (t == "const") {
      map_[fix] = {const_fix(x, fp), fp};
      map_[fix].op->get_output_tensor()->rename(fix->get_output_tensor()->get_name());
      return;
    }
    if (t == "data") {
      auto a = xir::Attrs::create();
      a->set_attr<IV>("shape", x->get_output_tensor()->get_shape());
      a->set_attr<std::string>("data_type", "XINT8");
      map_[fix] = {add(x->get_name(), "data-fix", std::move(a), {}, fp), fp};
      map_[fix].op->get_output_tensor()->rename(fix->get_output_tensor()->get_name());
      map_[x] = map_[fix];
      return;
    }
    if (dpu::is_cpu_float_op(t)) {  // a CPU float value entering the DPU
      auto a = xir::Attrs::create();
      a->set_attr<std::int32_t>("fix_point", fp);
      a->set_attr<std::int32_t>("bit_width", 8);
      a->set_attr<std::string>("round_mode", fix->get_attr_or<std::string>("round_mode", "DPU_ROUND"));
      a->set_attr<bool>("if_signed", true);
      xir::Op* f = add(fix->get_name(), "float2fix", std::move(a), {{"input", {floats_.at(x)}}}, fp);
      f->get_output_tensor()->rename(fix->get_output_tensor()->get_name());
      map_[fix] = {f, fp};
      return;
    }
    const xir::Op* act = nullptr;
    const xir::Op* c = x;
    if (dpu::is_activation_op(t)) {
      act = x;
      c = x->get_input_op("input");
      absorbed_.insert(act);
    }
    const std::string& ct = c->get_type();
    absorbed_.insert(c);
    xir::Op* lowered = nullptr;
    if (ct == "conv2d" || ct == "depthwise-conv2d") {
      auto a = xir::Attrs::create();
      copy_window(c, *a, true);
      a->set_attr<IV>("pad", effective_pad(c));
      a->set_attr<IV>("stride", unit_stride_where_single(c));
      a->set_attr<std::string>("pad_mode", "FLOOR");
      a->set_attr<std::string>("nonlinear", nonlinear_of(act));
      if (ct == "conv2d") a->set_attr<std::int32_t>("group", c->get_attr_or<std::int32_t>("group", 1));
      a->set_attr<bool>("bias_term", c->get_input_op("bias") != nullptr);
      a->set_attr<std::int32_t>("in_dim", c->get_input_tensor("input")->get_shape().back());
      a->set_attr<std::int32_t>("out_dim", c->get_output_tensor()->get_shape().back());
      std::map<std::string, std::vector<xir::Op*>> in{{"input", {value(c->get_input_op("input")).op}},
                                                       {"weights", {param(c->get_input_op("weights"))}}};
      if (const xir::Op* b = c->get_input_op("bias")) in["bias"] = {param(b)};
      lowered = add(c->get_name(), ct + "-fix", std::move(a), in, fp);
    } else if (ct == "matmul") {
      // FC → reshape to [N,1,1,K], 1×1 conv2d-fix, reshape back (as vai_c_xir's TransferMatMulToConv2d).
      if (c->get_attr<bool>("transpose_a")) fail(c, "transpose_a is not supported on the DPU");
      auto ins = c->get_input_ops("input");
      const Lowered& xin = value(ins[0]);
      const IV& xs = ins[0]->get_output_tensor()->get_shape();
      if (xs.size() != 2) fail(c, "only 2-D matmul inputs are supported");
      xir::Op* w = param(ins[1]);
      const IV ws = w->get_output_tensor()->get_shape();
      const bool tb = c->get_attr<bool>("transpose_b");
      const int k = tb ? ws[1] : ws[0], n = tb ? ws[0] : ws[1];
      if (!tb) fail(c, "weights must be [out, in] (transpose_b = true) for the DPU");
      auto ra = xir::Attrs::create();
      ra->set_attr<IV>("shape", {xs[0], 1, 1, k});
      xir::Op* r = add(c->get_name() + "_to_4d", "reshape-fix", std::move(ra), {{"input", {xin.op}}}, xin.fix_point);
      // The 2-D weight const-fix becomes a 4-D [N,1,1,K] one (same bytes).
      auto ca = xir::Attrs::create();
      ca->set_attr<IV>("shape", {n, 1, 1, k});
      ca->set_attr<std::string>("data_type", "XINT8");
      ca->set_attr<std::vector<char>>("data", w->get_attr<std::vector<char>>("data"));
      const int fw = value(ins[1]).fix_point;
      std::string wname = w->get_name();
      if (w->get_fanout_num() == 0) {
        map_.erase(ins[1]);
        out_->remove_op(w);
      } else {
        wname += "_4d";
      }
      xir::Op* wc = add(wname, "const-fix", std::move(ca), {}, fw);
      auto a = xir::Attrs::create();
      a->set_attr<IV>("kernel", {1, 1});
      a->set_attr<IV>("stride", {1, 1});
      a->set_attr<std::string>("pad_mode", "FLOOR");
      a->set_attr<std::string>("nonlinear", nonlinear_of(act));
      std::map<std::string, std::vector<xir::Op*>> in{{"input", {r}}, {"weights", {wc}}};
      if (const xir::Op* b = c->get_input_op("bias")) in["bias"] = {param(b)};
      xir::Op* conv = add(c->get_name() + "_conv", "conv2d-fix", std::move(a), in, fp);
      auto ba = xir::Attrs::create();
      ba->set_attr<IV>("shape", {xs[0], n});
      lowered = add(c->get_name(), "reshape-fix", std::move(ba), {{"input", {conv}}}, fp);
    } else if (ct == "add") {
      auto a = xir::Attrs::create();
      a->set_attr<std::string>("type", "ADD");
      const std::string nl = nonlinear_of(act);
      if (nl != "NONE" && nl != "RELU") fail(c, "eltwise add can only fuse ReLU");
      a->set_attr<std::string>("nonlinear", nl);
      std::vector<xir::Op*> ins;
      for (const xir::Op* i : c->get_input_ops("input")) ins.push_back(value(i).op);
      lowered = add(c->get_name(), "eltwise-fix", std::move(a), {{"input", ins}}, fp);
    } else if (ct == "maxpool2d" || (ct == "mul" && is_avg_pattern(c))) {
      const bool avg = ct == "mul";
      const xir::Op* pool = avg ? c->get_input_ops("input")[0] : c;
      absorbed_.insert(pool);
      if (avg) absorbed_.insert(c->get_input_ops("input")[1]);
      if (act) fail(act, "an activation after pooling cannot be fused on the DPU");
      auto a = xir::Attrs::create();
      const IV& in = pool->get_input_tensor("input")->get_shape();
      if (pool->get_attr_or<bool>("global", false)) {
        a->set_attr<IV>("kernel", {in[2], in[1]});
        a->set_attr<IV>("stride", {in[2], in[1]});
        a->set_attr<IV>("pad", {0, 0, 0, 0});
      } else {
        copy_window(pool, *a, false);
        a->set_attr<IV>("pad", effective_pad(pool));
      }
      a->set_attr<std::string>("type", avg ? "AVG" : "MAX");
      lowered = add(pool->get_name(), "pool-fix", std::move(a), {{"input", {value(pool->get_input_op("input")).op}}}, fp);
    } else if (ct == "concat") {
      auto a = xir::Attrs::create();
      a->set_attr<std::int32_t>("axis", c->get_attr<std::int32_t>("axis"));
      std::vector<xir::Op*> ins;
      for (const xir::Op* i : c->get_input_ops("input")) ins.push_back(value(i).op);
      lowered = add(c->get_name(), "concat-fix", std::move(a), {{"input", ins}}, fp);
    } else if (ct == "pad" || ct == "strided_slice") {
      auto a = c->get_attrs();
      if (ct == "pad") a->del_attr("constant_values");
      lowered = add(c->get_name(), ct + "-fix", std::move(a), {{"input", {value(c->get_input_op("input")).op}}}, fp);
    } else if (dpu::is_layout_op(ct)) {
      // A fix directly after a layout op: one reshape-fix (it requantizes when the fix points differ).
      auto a = xir::Attrs::create();
      a->set_attr<IV>("shape", c->get_output_tensor()->get_shape());
      if (map_.count(c))  // the layout op has other consumers and was lowered on its own
        lowered = add(c->get_name() + "_fix", "reshape-fix", std::move(a), {{"input", {value(c).op}}}, fp);
      else
        lowered = add(c->get_name(), "reshape-fix", std::move(a), {{"input", {value(c->get_input_op("input")).op}}}, fp);
    } else {
      fail(c, "is not an op the DPU runs (quantized " + ct + ")");
    }
    // Not serialized (private attr): which float value this int8 tensor stands for, for SQNR reports.
    lowered->set_attr<std::string>("__float_source", (ct == "mul" ? c->get_input_ops("input")[0] : x)->get_name());
    // vai_c_xir names the op after the computing op and its output after the fix op's tensor.
    lowered->get_output_tensor()->rename(fix->get_output_tensor()->get_name());
    map_[fix] = {lowered, fp};
    map_[x] = map_[fix];
  }

  // vai_q_pytorch feeds reshape's `shape` input from a stack of consts: shape plumbing, not data.
  static bool feeds_shape_only(const xir::Op* op) {
    if (op->get_fanout_num() == 0) return false;
    for (const xir::Op* user : op->get_fanout_ops()) {
      bool as_shape = false;
      for (const xir::Op* s : user->get_input_ops("shape")) as_shape = as_shape || s == op;
      if (!as_shape && !feeds_shape_only(user)) return false;
    }
    return true;
  }

  static bool is_avg_pattern(const xir::Op* mul) {
    auto ins = mul->get_input_ops("input");
    return ins.size() == 2 && ins[0]->get_type() == "avgpool2d" && ins[1]->get_type() == "const";
  }

  const xir::Graph& q_;
  std::unique_ptr<xir::Graph> out_;
  std::map<const xir::Op*, Lowered> map_;
  std::map<const xir::Op*, xir::Op*> floats_;    // float ops on the CPU (quantizer op → lowered op)
  std::map<const xir::Op*, xir::Op*> to_float_;  // int8 value → its fix2float
  std::set<const xir::Op*> absorbed_;
};

}  // namespace

std::unique_ptr<xir::Graph> lower_to_fix_form(const xir::Graph& quantized) { return Lowering(quantized).run(); }

}  // namespace dputk
