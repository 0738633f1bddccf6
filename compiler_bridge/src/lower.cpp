#include "dputk/compiler/lower.hpp"

#include "dputk/dpu/fix_math.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "ops/compiler_ops.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace dputk {

namespace {

using IV = std::vector<std::int32_t>;

using compiler_ops::fail;
using compiler_ops::Lowered;


void set_fix_attrs(xir::Tensor* t, int fp) {
  t->set_attr<std::int32_t>("fix_point", fp);
  t->set_attr<std::int32_t>("bit_width", 8);
  t->set_attr<bool>("if_signed", true);
  t->set_attr<std::string>("round_mode", "DPU_ROUND");
}

class Lowering : public compiler_ops::LowerContext {
 public:
  explicit Lowering(const xir::Graph& q) : q_(q), out_(xir::Graph::create(q.get_name())) {}

  std::unique_ptr<xir::Graph> run() {
    // Custom op types the quantizer left in float (they run on the CPU, from their plugins).
    for (const auto& t : q_.attrs().get_attr_or<std::vector<std::string>>(dpu::kCustomOpsAttr, {})) dpu::declare_cpu_float_op(t);
    for (const xir::Op* op : q_.topological_sort()) {
      const std::string& t = op->get_type();
      if (t == "fix") lower_fix(op);
      else if (dpu::is_layout_op(t)) lower_layout(op);
      else if (dpu::runs_in_float(*op)) lower_cpu_float(op);
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
  // LowerContext, for the op files' rules
  xir::Op* add(const std::string& name, const std::string& type, std::unique_ptr<xir::Attrs> a,
               const std::map<std::string, std::vector<xir::Op*>>& in, int fp) override {
    xir::Op* op = out_->add_op(name, type, std::move(a), in, xir::DataType(xir::DataType::XINT, 8));
    set_fix_attrs(op->get_output_tensor(), fp);
    if (!group_.empty()) op->set_attr<std::string>("__group", group_);
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

  // float → int8 at the fix op's fix point (its round mode), named as the fix op and its tensor.
  xir::Op* float2fix(const xir::Op* fix, xir::Op* from, int fp) {
    auto a = xir::Attrs::create();
    a->set_attr<std::int32_t>("fix_point", fp);
    a->set_attr<std::int32_t>("bit_width", 8);
    a->set_attr<std::string>("round_mode", fix->get_attr_or<std::string>("round_mode", "DPU_ROUND"));
    a->set_attr<bool>("if_signed", true);
    xir::Op* f = add(fix->get_name(), "float2fix", std::move(a), {{"input", {from}}}, fp);
    f->get_output_tensor()->rename(fix->get_output_tensor()->get_name());
    return f;
  }

  xir::Op* float_const(const xir::Op* c) {
    auto it = floats_.find(c);
    if (it != floats_.end()) return it->second;
    return floats_[c] = out_->add_op(c->get_name(), "const", c->get_attrs(), {}, xir::DataType(xir::DataType::FLOAT, 32));
  }

  bool has_value(const xir::Op* op) const override { return map_.count(op) > 0; }
  void absorb(const xir::Op* op) override { absorbed_.insert(op); }
  void drop_value(const xir::Op* op) override { map_.erase(op); }
  xir::Graph& out() override { return *out_; }

  const Lowered& value(const xir::Op* op) override {
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

  xir::Op* param(const xir::Op* fix_or_const) override {
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
    if (dpu::runs_in_float(*x)) {  // a CPU float value entering the DPU
      map_[fix] = {float2fix(fix, floats_.at(x), fp), fp};
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
    // The op's own lowering rule (compiler_bridge/src/ops/<op>.cpp).
    const compiler_ops::LowerRule* rule = compiler_ops::lower_rule(ct);
    // Not serialized (private attr): every op the rule adds records the float op it lowers (an op that
    // preparation made in place of another, e.g. a BatchNorm's 1×1 depthwise conv, names that one).
    group_ = c->get_attr_or<std::string>("__replaces", c->get_name());
    xir::Op* lowered = rule ? (*rule)(*this, {c, act, fix, fp}) : nullptr;
    group_.clear();
    if (!lowered) {
      // No DPU form: the op (and its activation) in float on the CPU, its int8 value back through float2fix.
      lower_cpu_float(c);
      if (act) lower_cpu_float(act);
      map_[fix] = {float2fix(fix, floats_.at(act ? act : c), fp), fp};
      map_[x] = map_[fix];
      return;
    }
    // Not serialized (private attr): which float value this int8 tensor stands for, for SQNR reports.
    if (!lowered->has_attr("__float_source")) lowered->set_attr<std::string>("__float_source", x->get_name());
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


  const xir::Graph& q_;
  std::unique_ptr<xir::Graph> out_;
  std::map<const xir::Op*, Lowered> map_;
  std::map<const xir::Op*, xir::Op*> floats_;    // float ops on the CPU (quantizer op → lowered op)
  std::map<const xir::Op*, xir::Op*> to_float_;  // int8 value → its fix2float
  std::set<const xir::Op*> absorbed_;
  std::string group_;  // while a rule runs: the float op it lowers (attr __group of the ops it adds)
};

}  // namespace

std::unique_ptr<xir::Graph> lower_to_fix_form(const xir::Graph& quantized) { return Lowering(quantized).run(); }

}  // namespace dputk
