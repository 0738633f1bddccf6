// Internal: the one executor behind FloatExecutor and DpuExecutor. A plan over a graph, or over one
// subgraph of a compiled graph:
//   inputs     data / data-fix ops, and values flowing in from outside the subgraph;
//   constants  const / const-fix ops, decoded once (and, where the value policy folds, every op that
//              does not depend on an input, evaluated once);
//   slots      one per computed value, released to a buffer pool after its last reader (pooled
//              policies) or kept between runs;
//   steps      the ops in topological order with the kernels the op registry gives them, a convolution
//              followed by a residual add and / or an activation fused into one step where its kernel
//              can;
//   outputs    computed values no op in scope reads (or that leave the subgraph).
// A run checks and feeds the inputs, runs the steps with the observer after each and returns the
// outputs. What differs between float evaluation (values FloatTensor) and the DPU's integer arithmetic
// (values DpuTensor: int8 at a fix point, or float for CPU ops) is the value policy P:
//   using Value, Kernel;  static constexpr bool kPooled;
//   bool is_constant(op), Value decode(op), bool folds() — constants and folding
//   bool drops_unread_constants(), bool reads_constants(kernel) — which constants stay after planning
//   Kernel make_kernel(op, constant lookup), run(kernel, inputs, out), bool can_fuse(kernel),
//   fuse_sum(kernel), fuse_activation(kernel, op) -> bool
//   on_input(op, slot_value), prepare_output(op, Value&, shape), input_size(Value) — value details
//   const std::vector<std::int32_t>& shape(Value), std::string scope_text()
#pragma once
#include <glog/logging.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "dputk/engine/float_tensor.hpp"
#include "xir/graph/graph.hpp"

namespace dputk::engine {

template <typename P>
class GraphExecutor {
 public:
  using Value = typename P::Value;
  using Kernel = typename P::Kernel;
  using Observer = std::function<void(const xir::Op*, Value&)>;

  GraphExecutor(const xir::Graph& graph, const xir::Subgraph* subgraph, P policy)
      : graph_(graph), subgraph_(subgraph), policy_(std::move(policy)) {
    plan();
  }

  const std::vector<const xir::Op*>& input_ops() const { return input_ops_; }
  const std::vector<const xir::Op*>& output_ops() const { return output_ops_; }
  std::size_t step_count() const { return steps_.size(); }
  const std::map<const xir::Op*, Value>& constants() const { return constants_; }
  P& policy() { return policy_; }
  const P& policy() const { return policy_; }
  int slot_of(const xir::Op* op) const { return slot_of_.at(op); }

  // `known`: values of ops (on the same images) given instead of computed — the steps that compute
  // them, and the steps only those need, are skipped. Known values of ops no step computes on its own
  // (inside a fused chain) are not used.
  std::vector<Value> run(const std::vector<const Value*>& inputs, const Observer& observer,
                         const std::map<const xir::Op*, const Value*>& known = {}) {
    if (inputs.size() != input_ops_.size())
      throw std::invalid_argument(scope() + " takes " + std::to_string(input_ops_.size()) + " inputs, got " + std::to_string(inputs.size()));
    const std::int32_t batch = inputs[0]->shape.empty() ? 1 : inputs[0]->shape[0];
    values_.resize(slot_shape_.size());
    std::vector<int> remaining = uses_;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      check_input_shape(input_ops_[i]->get_name(), input_ops_[i]->get_output_tensor()->get_shape(), inputs[i]->shape,
                        policy_.input_size(*inputs[i]), batch);
      const int slot = slot_of_.at(input_ops_[i]);
      policy_.feed_input(input_ops_[i], *inputs[i], values_[slot], pool_);
      if (observer) observer(input_ops_[i], values_[slot]);
    }
    auto release = [&](int slot) {
      if (P::kPooled && --remaining[slot] == 0) policy_.release(values_[slot], pool_);
    };
    // Which steps run: back from the outputs, stopping at known values (fed like inputs).
    std::vector<char> run_step(steps_.size(), 1);
    if (!known.empty()) {
      std::vector<char> needed(slot_shape_.size(), 0);
      for (const xir::Op* op : output_ops_) needed[static_cast<std::size_t>(slot_of_.at(op))] = 1;
      for (std::size_t i = steps_.size(); i-- > 0;) {
        const Step& s = steps_[i];
        auto k = known.find(s.op);
        run_step[i] = needed[static_cast<std::size_t>(s.out_slot)] && k == known.end();
        if (k != known.end() && needed[static_cast<std::size_t>(s.out_slot)]) {
          check_input_shape(s.op->get_name(), s.op->get_output_tensor()->get_shape(), k->second->shape, policy_.input_size(*k->second), batch);
          policy_.feed_input(s.op, *k->second, values_[s.out_slot], pool_);
          if (observer) observer(s.op, values_[s.out_slot]);
        }
        if (!run_step[i]) continue;
        for (const auto& in : s.inputs)
          if (!in.constant) needed[static_cast<std::size_t>(in.slot)] = 1;
        if (s.sum_slot >= 0) needed[static_cast<std::size_t>(s.sum_slot)] = 1;
      }
      // A skipped step's reads are not counted down: the values only it reads stay until the next run.
    }
    std::vector<const Value*> ins;
    for (std::size_t si = 0; si < steps_.size(); ++si) {
      if (!run_step[si]) continue;
      auto& s = steps_[si];
      ins.clear();
      for (const auto& in : s.inputs) ins.push_back(in.constant ? in.constant : &values_[in.slot]);
      Value& out = values_[s.out_slot];
      auto shape = slot_shape_[s.out_slot];
      if (!shape.empty()) shape[0] = batch;
      // A fused residual add: the step accumulates into the addend's buffer when it is its last reader.
      const bool take_addend = s.sum_slot >= 0 && remaining[s.sum_slot] == 1;
      if (take_addend) policy_.take_buffer(values_[s.sum_slot], out);
      policy_.prepare_output(s.op, out, std::move(shape), pool_, take_addend, s.sum_slot >= 0 && !take_addend ? &values_[s.sum_slot] : nullptr);
      policy_.run(s.kernel, ins, out);
      if (observer) observer(s.op, out);
      for (const auto& in : s.inputs)
        if (!in.constant) release(in.slot);
      if (s.sum_slot >= 0 && !take_addend) release(s.sum_slot);
    }
    std::vector<Value> outs;
    for (const xir::Op* op : output_ops_) outs.push_back(policy_.output(values_[slot_of_.at(op)]));
    return outs;
  }

 private:
  struct Input {
    const Value* constant = nullptr;
    int slot = -1;
  };
  struct Step {
    const xir::Op* op;  // the op whose value the step produces (the last of a fused chain)
    Kernel kernel;
    std::vector<Input> inputs;
    int sum_slot = -1;  // fused residual add: the addend's slot
    int out_slot = -1;
  };

  std::string scope() const { return subgraph_ ? "subgraph '" + subgraph_->get_name() + "'" : "graph '" + graph_.get_name() + "'"; }
  bool inside(const xir::Op* op) const { return !subgraph_ || subgraph_->has_op(op); }
  const Value* constant(const xir::Op* op) const {
    auto it = constants_.find(op);
    return it == constants_.end() ? nullptr : &it->second;
  }
  int add_slot(const xir::Op* op) {
    slot_of_[op] = static_cast<int>(slot_shape_.size());
    slot_shape_.push_back(op->get_output_tensor()->get_shape());
    return slot_of_[op];
  }
  void add_input(const xir::Op* op) {
    add_slot(op);
    input_ops_.push_back(op);
    dynamic_.insert(op);
    policy_.on_input(op);
  }

  void plan() {
    const auto order = subgraph_ ? subgraph_->topological_sort() : graph_.topological_sort();
    std::map<const xir::Op*, std::size_t> position;
    for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    auto lookup = [this](const xir::Op* op) { return constant(op); };
    // 1. Inputs, constants (and folding), which values are computed per run.
    for (const xir::Op* op : order) {
      for (const xir::Tensor* t : op->get_input_tensors()) {
        const xir::Op* p = t->get_producer();
        if (inside(p) || dynamic_.count(p) || constants_.count(p)) continue;
        if (policy_.is_constant(*p)) constants_.emplace(p, policy_.decode(*p));
        else add_input(p);  // a value from another subgraph
      }
      const std::string& type = op->get_type();
      if (type == "data" || type == "data-fix") {
        add_input(op);
        continue;
      }
      if (policy_.is_constant(*op)) {
        constants_.emplace(op, policy_.decode(*op));
        continue;
      }
      bool is_dynamic = !policy_.folds();
      for (const xir::Tensor* t : op->get_input_tensors()) is_dynamic = is_dynamic || dynamic_.count(t->get_producer());
      if (is_dynamic) {
        dynamic_.insert(op);
        continue;
      }
      constants_.emplace(op, policy_.fold(*op, lookup));
      // A constant whose readers all folded (weights into their fix op) is read no more.
      if (policy_.drops_unread_constants())
        for (const xir::Tensor* t : op->get_input_tensors()) {
          const auto fan = t->get_producer()->get_fanout_ops();
          if (std::all_of(fan.begin(), fan.end(), [this](const xir::Op* u) { return constants_.count(u) > 0; }))
            constants_.erase(t->get_producer());
        }
    }
    for (const xir::Op* op : order) {
      if (!dynamic_.count(op) || slot_of_.count(op)) continue;
      add_slot(op);
    }
    for (const xir::Op* op : order) {
      if (!dynamic_.count(op) || !inside(op)) continue;
      bool leaves = op->get_fanout_num() == 0;
      for (const xir::Op* user : op->get_fanout_ops()) leaves = leaves || !inside(user);
      if (leaves) output_ops_.push_back(op);
    }
    if (input_ops_.empty()) throw std::runtime_error(scope() + " has no input (data or data-fix op, or a value from outside)");
    if (output_ops_.empty()) throw std::runtime_error(scope() + " computes nothing from its inputs");
    uses_.assign(slot_shape_.size(), 0);
    // 2. Steps, a convolution with a following residual add and / or activation fused where its kernel can.
    std::set<const xir::Op*> fused_away;
    std::map<const xir::Op*, std::ptrdiff_t> unread_readers;  // per constant: readers to come (steps that hold their constants)
    for (const xir::Op* op : order) {
      if (!dynamic_.count(op) || fused_away.count(op) || std::find(input_ops_.begin(), input_ops_.end(), op) != input_ops_.end()) continue;
      Step s;
      s.kernel = policy_.make_kernel(*op, lookup);
      const bool holds_constants = policy_.drops_unread_constants() && !policy_.reads_constants(s.kernel);
      for (const xir::Tensor* t : op->get_input_tensors()) {
        const xir::Op* p = t->get_producer();
        Input in;
        if (const Value* c = constant(p)) {
          in.constant = c;
          // The kernel holds its own copy: the constant goes once no step to come reads it.
          if (holds_constants) {
            in.constant = &unread_constant_;
            auto it = unread_readers.find(p);
            if (it == unread_readers.end()) {
              std::ptrdiff_t reads = 0;  // inputs of ops computed per run that it is
              for (const xir::Op* u : p->get_fanout_ops())
                if (dynamic_.count(u))
                  for (const xir::Tensor* ut : u->get_input_tensors()) reads += ut->get_producer() == p;
              it = unread_readers.emplace(p, reads).first;
            }
            if (--it->second == 0) constants_.erase(p);
          }
        } else {
          in.slot = slot_of_.at(p);
        }
        s.inputs.push_back(in);
      }
      const xir::Op* cur = op;
      if (policy_.can_fuse(s.kernel)) {
        auto fan = cur->get_fanout_ops();
        if (fan.size() == 1 && fan[0]->get_type() == "add" && fan[0]->get_input_num() == 2 && inside(fan[0])) {
          const xir::Op* add = fan[0];
          auto ins = add->get_input_ops("input");
          const xir::Op* other = ins[0] == cur ? ins[1] : ins[0];
          if (other != cur && dynamic_.count(other) && position.count(other) && position[other] < position[op] &&
              other->get_output_tensor()->get_shape() == cur->get_output_tensor()->get_shape()) {
            policy_.fuse_sum(s.kernel);
            s.sum_slot = slot_of_.at(other);
            fused_away.insert(add);
            cur = add;
          }
        }
        fan = cur->get_fanout_ops();
        if (fan.size() == 1 && inside(fan[0]) && policy_.fuse_activation(s.kernel, *fan[0])) {
          fused_away.insert(fan[0]);
          cur = fan[0];
        }
      }
      s.op = cur;
      s.out_slot = slot_of_.at(cur);
      for (const auto& in : s.inputs)
        if (!in.constant) ++uses_[in.slot];
      if (s.sum_slot >= 0) ++uses_[s.sum_slot];
      policy_.on_step(*cur);
      steps_.push_back(std::move(s));
    }
    for (const xir::Op* op : output_ops_) ++uses_[slot_of_.at(op)];
    // 3. Constants no step reads are not kept (dropped as soon as that was known above: a const folded
    // into a fix op, weights a kernel holds in a form of its own — ResNet50's calibrated network held
    // three float copies of its weights, 0.3 GB). Here: those of ops fused away, say.
    if (policy_.drops_unread_constants()) {
      std::set<const Value*> read;
      for (const Step& s : steps_)
        for (const Input& in : s.inputs)
          if (in.constant) read.insert(in.constant);
      for (auto it = constants_.begin(); it != constants_.end();) it = read.count(&it->second) ? std::next(it) : constants_.erase(it);
    }
    VLOG(1) << scope() << ": " << order.size() << " ops, " << constants_.size() << " constants, " << steps_.size() << " steps";
  }

  const xir::Graph& graph_;
  const xir::Subgraph* subgraph_;
  P policy_;
  std::vector<const xir::Op*> input_ops_, output_ops_;
  std::set<const xir::Op*> dynamic_;
  std::map<const xir::Op*, Value> constants_;  // std::map: stable addresses for the steps
  Value unread_constant_;                      // what a step whose kernel holds its constants is given for them
  std::map<const xir::Op*, int> slot_of_;
  std::vector<std::vector<std::int32_t>> slot_shape_;
  std::vector<int> uses_;  // per slot: steps reading it (+1 for outputs)
  std::vector<Step> steps_;
  std::vector<Value> values_;  // per slot (a run fills them; pooled policies release them early)
  typename P::Pool pool_;
};

}  // namespace dputk::engine
