#include "dputk/quantizer/quant_graph.hpp"

#include <glog/logging.h>

#include <stdexcept>

#include "dputk/quantizer/const_data.hpp"
#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/op_registry.hpp"
#include "dputk/quantizer/prepare.hpp"

namespace dputk {

const FixSlot* QuantGraph::slot(const std::string& fix_op) const {
  for (const auto& s : slots)
    if (s.fix_op == fix_op) return &s;
  return nullptr;
}

const xir::Op* defining_fix(const xir::Op* op) {
  while (op) {
    if (op->get_type() == "fix") return op;
    if (!dpu::is_layout_op(op->get_type())) return nullptr;
    op = op->get_input_op("input");
  }
  return nullptr;
}

namespace {

using IV = std::vector<std::int32_t>;

class Builder {
 public:
  explicit Builder(const xir::Graph& f) : float_(f), q_{xir::Graph::create(f.get_name()), {}} {
    q_.graph->set_attrs(f.get_attrs());
  }

  QuantGraph build() {
    for (const xir::Op* op : float_.topological_sort()) visit(op);
    return std::move(q_);
  }

 private:
  xir::Op* add_fix(xir::Op* input, const std::string& name, FixSlot::Kind kind, const std::string& source,
                   const std::string& tie = "") {
    auto a = xir::Attrs::create();
    a->set_attr<std::int32_t>("fix_point", 0);
    a->set_attr<std::int32_t>("bit_width", 8);
    a->set_attr<std::string>("round_mode", "DPU_ROUND");
    a->set_attr<bool>("if_signed", true);
    xir::Op* fix = q_.graph->add_op(name, "fix", std::move(a), {{"input", {input}}});
    q_.slots.push_back({name, kind, tie, source});
    return fix;
  }

  // A parameter const, quantized (one fix per const op, shared by its users).
  xir::Op* param(const xir::Op* c, FixSlot::Kind kind) {
    auto it = param_fix_.find(c);
    if (it != param_fix_.end()) return it->second;
    xir::Op* copy = q_.graph->add_op(c->get_name(), "const", c->get_attrs(), {});
    xir::Op* fix = add_fix(copy, c->get_name() + "_fix", kind, c->get_name());
    param_fix_[c] = fix;
    return fix;
  }

  // A const read by a float (CPU) op: copied as it is, once.
  xir::Op* float_const(const xir::Op* c) {
    auto it = float_const_.find(c);
    if (it != float_const_.end()) return it->second;
    return float_const_[c] = q_.graph->add_op(c->get_name(), "const", c->get_attrs(), {});
  }

  xir::Op* value(const xir::Op* f) {
    auto it = value_.find(f);
    if (it != value_.end()) return it->second;
    if (f->get_type() == "const") return param(f, FixSlot::Kind::WEIGHTS);
    throw std::logic_error("quant graph: value of '" + f->get_name() + "' requested before it was built");
  }

  std::map<std::string, std::vector<xir::Op*>> mapped_inputs(const xir::Op* op) {
    std::map<std::string, std::vector<xir::Op*>> in;
    for (const auto& [arg, ops] : op->get_input_ops()) {
      for (const xir::Op* src : ops) {
        if (src->get_type() == "const" && (arg == "weights" || (op->get_type() == "matmul" && arg == "input")))
          in[arg].push_back(param(src, FixSlot::Kind::WEIGHTS));
        else if (src->get_type() == "const" && arg == "bias")
          in[arg].push_back(param(src, FixSlot::Kind::BIAS));
        else if (src->get_type() == "const" && arg == "shape")
          in[arg].push_back(q_.graph->add_op(src->get_name(), "const", src->get_attrs(), {}));
        else
          in[arg].push_back(value(src));
      }
    }
    return in;
  }

  xir::Op* copy(const xir::Op* op, const std::string& name_suffix = "") {
    return q_.graph->add_op(op->get_name() + name_suffix, op->get_type(), op->get_attrs(), mapped_inputs(op));
  }

  // The concat's fix when op's only consumer is a concat: op's output is quantized at the concat's fix
  // point so that the concat is an identity, as vai_q_pytorch does (spec: "Concat inputs" [R12]).
  static std::string concat_tie(const xir::Op* op) {
    auto fan = op->get_fanout_ops();
    return fan.size() == 1 && fan[0]->get_type() == "concat" ? fan[0]->get_name() + "_fix" : "";
  }

  // True when op's only consumer is an activation that will carry the group's fix.
  static bool fix_goes_after_activation(const xir::Op* op) {
    auto fan = op->get_fanout_ops();
    return fan.size() == 1 && dpu::is_activation_op(fan[0]->get_type());
  }

  void visit(const xir::Op* op) {
    const std::string& t = op->get_type();
    if (t == "const") return;  // built on demand by its consumers
    if (t == "data") {
      xir::Op* d = q_.graph->add_op(op->get_name(), "data", op->get_attrs(), {});
      value_[op] = add_fix(d, op->get_name() + "_fix", FixSlot::Kind::INPUT, op->get_name());
      return;
    }
    if (dpu::is_layout_op(t)) {
      value_[op] = copy(op);
      return;
    }
    if (dpu::is_activation_op(t)) {
      const xir::Op* producer = op->get_input_op("input");
      xir::Op* act = copy(op);
      value_[op] = add_fix(act, op->get_name() + "_fix", FixSlot::Kind::ACTIVATION, op->get_name(), concat_tie(op));
      (void)producer;
      return;
    }
    const std::string no_dpu_avg = dpu::op_traits(t).quant == dpu::QuantRole::AVG_POOL ? dpu::avg_pool_dpu_problem(*op) : "";
    if (!no_dpu_avg.empty()) {
      // No DPU form: a float op (the CPU), quantized after it.
      LOG(INFO) << "op '" << op->get_name() << "' (avgpool2d): " << no_dpu_avg << "; it runs on the CPU";
      xir::Op* c = copy(op);
      c->set_attr<std::string>(dpu::kCpuReasonAttr, no_dpu_avg);
      value_[op] = add_fix(c, op->get_name() + "_fix", FixSlot::Kind::ACTIVATION, op->get_name());
      return;
    }
    if (dpu::op_traits(t).quant == dpu::QuantRole::AVG_POOL) {
      xir::Op* pool = copy(op);
      const IV& in = op->get_input_tensor("input")->get_shape();
      IV k = op->get_attr<IV>("kernel");
      if (op->get_attr_or<bool>("global", false)) k = {in[2], in[1]};
      const auto f = dpu::avg_pool_factor(k[1], k[0]);
      const float scale = static_cast<float>(k[0] * k[1]) * static_cast<float>(f.n) / static_cast<float>(1 << f.m);
      xir::Op* c = q_.graph->add_op(op->get_name() + "_dpu_factor", "const", const_attrs({1}, {scale}), {});
      xir::Op* mul = q_.graph->add_op(op->get_name() + "_mul", "mul", nullptr, {{"input", {pool, c}}});
      xir::Op* v = mul;
      if (!fix_goes_after_activation(op)) v = add_fix(mul, op->get_name() + "_fix", FixSlot::Kind::ACTIVATION, op->get_name(), concat_tie(op));
      value_[op] = v;
      return;
    }
    if (dpu::op_traits(t).quant == dpu::QuantRole::NONE && engine::OpRegistry::instance().has_float(t)) {
      // A float op with no DPU form (sigmoid, transpose, ...): left in float for the CPU, like a custom op.
      LOG(INFO) << "op '" << op->get_name() << "' (" << t << ") has no DPU form: it stays in float and runs on the CPU";
      dpu::declare_cpu_float_op(t);
    }
    if (dpu::runs_in_float(*op)) {
      // Left in float for the CPU: softmax after the DPU (as vai_q_pytorch does), custom ops (run by
      // their plugins) anywhere, a final bilinear resize. Their constant inputs stay float; where a
      // quantized op reads the value, a fix op brings it back to int8 (a float2fix in the compiled model).
      std::map<std::string, std::vector<xir::Op*>> in;
      for (const auto& [arg, ops] : op->get_input_ops())
        for (const xir::Op* src : ops) in[arg].push_back(src->get_type() == "const" ? float_const(src) : value(src));
      xir::Op* c = q_.graph->add_op(op->get_name(), t, op->get_attrs(), in);
      if (dpu::op_traits(t).custom) {  // recorded for the compiler
        auto types = q_.graph->attrs().get_attr_or<std::vector<std::string>>(dpu::kCustomOpsAttr, {});
        if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
        q_.graph->set_attr<std::vector<std::string>>(dpu::kCustomOpsAttr, types);
      }
      bool feeds_int8 = false;
      for (const xir::Op* user : op->get_fanout_ops()) feeds_int8 = feeds_int8 || !dpu::runs_in_float(*user);
      value_[op] = feeds_int8 ? add_fix(c, op->get_name() + "_fix", FixSlot::Kind::ACTIVATION, op->get_name()) : c;
      return;
    }
    if (dpu::op_traits(t).quant == dpu::QuantRole::SAME_GRID) {  // pad, strided_slice, resize: the input's grid, or a concat's
      xir::Op* c = copy(op);
      const xir::Op* in_fix = defining_fix(value(op->get_input_op("input")));
      std::string tie = concat_tie(op);
      if (tie.empty() && in_fix) tie = in_fix->get_name();
      value_[op] = add_fix(c, op->get_name() + "_fix", FixSlot::Kind::ACTIVATION, op->get_name(), tie);
      return;
    }
    if (dpu::is_group_head(t)) {
      const std::string form = dpu::op_traits(t).quant_form;
      xir::Op* c = form.empty() ? copy(op) : q_.graph->add_op(op->get_name(), form, op->get_attrs(), mapped_inputs(op));
      if (fix_goes_after_activation(op)) {
        value_[op] = c;
        return;
      }
      value_[op] = add_fix(c, op->get_name() + "_fix", FixSlot::Kind::ACTIVATION, op->get_name(), concat_tie(op));
      return;
    }
    throw std::runtime_error("op '" + op->get_name() + "' (" + t + ") is not supported by the quantizer");
  }

  const xir::Graph& float_;
  QuantGraph q_;
  std::map<const xir::Op*, xir::Op*> value_;
  std::map<const xir::Op*, xir::Op*> float_const_;
  std::map<const xir::Op*, xir::Op*> param_fix_;
};

}  // namespace

QuantGraph build_quant_graph(const xir::Graph& prepared) { return Builder(prepared).build(); }

}  // namespace dputk
