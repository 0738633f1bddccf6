#include "dputk/engine/float_executor.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

std::string shape_to_string(const std::vector<std::int32_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

void check_input_shape(const std::string& op_name, const std::vector<std::int32_t>& want, const std::vector<std::int32_t>& got,
                       std::size_t data_size, std::int32_t batch) {
  std::int64_t n = 1;
  for (auto d : got) n *= d;
  bool ok = got.size() == want.size() && static_cast<std::int64_t>(data_size) == n && !got.empty() && got[0] == batch;
  for (std::size_t d = 1; ok && d < want.size(); ++d) ok = got[d] == want[d];
  if (!ok)
    throw std::invalid_argument("input '" + op_name + "' has shape " + shape_to_string(got) + ", the graph expects " +
                                shape_to_string(want) + " (any batch)");
}

namespace {

// Reusable float buffers, so steady-state runs do not allocate.
class BufferPool {
 public:
  std::vector<float> acquire(std::size_t n) {
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->capacity() >= n && (best == free_.end() || it->capacity() < best->capacity())) best = it;
    std::vector<float> v;
    if (best != free_.end()) {
      v = std::move(*best);
      free_.erase(best);
    }
    v.resize(n);
    return v;
  }
  void release(std::vector<float>&& v) {
    if (v.capacity()) free_.push_back(std::move(v));
  }

 private:
  std::vector<std::vector<float>> free_;
};

struct InputRef {
  const FloatTensor* constant = nullptr;
  int slot = -1;
};

struct Step {
  const xir::Op* op;                 // the op whose value the step produces (last of a fused chain)
  const xir::Op* head;               // the op whose kernel runs
  std::unique_ptr<FloatKernel> kernel;
  std::vector<InputRef> inputs;
  int sum_slot = -1;                 // fused residual add: slot of the addend
  int out_slot = -1;
};

}  // namespace

struct FloatExecutor::Impl {
  const xir::Graph& graph;
  FloatExecutorOptions options;
  std::vector<const xir::Op*> input_ops, output_ops;
  std::map<const xir::Op*, FloatTensor> constants;
  std::map<const xir::Op*, int> slot_of;
  std::vector<Step> steps;
  std::vector<int> uses;  // per slot: number of steps reading it (+1 for outputs)
  std::vector<std::vector<std::int32_t>> slot_shape;
  BufferPool pool;

  Impl(const xir::Graph& g, FloatExecutorOptions o) : graph(g), options(o) { plan(); }

  const FloatTensor* constant(const xir::Op* op) const {
    auto it = constants.find(op);
    return it == constants.end() ? nullptr : &it->second;
  }

  void plan() {
    auto order = graph.topological_sort();
    std::map<const xir::Op*, std::size_t> position;
    for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    ConstantLookup lookup = [this](const xir::Op* op) { return constant(op); };
    // 1. Inputs and constants (constant folding of everything that does not depend on an input).
    std::set<const xir::Op*> dynamic;
    for (const xir::Op* op : order) {
      const std::string& t = op->get_type();
      if (t == "data" || t == "data-fix") {
        input_ops.push_back(op);
        dynamic.insert(op);
        continue;
      }
      bool is_dynamic = false;
      for (const xir::Tensor* in : op->get_input_tensors()) is_dynamic = is_dynamic || dynamic.count(in->get_producer());
      if (is_dynamic) {
        dynamic.insert(op);
        continue;
      }
      if (t == "const" || t == "const-fix") {
        constants.emplace(op, decode_const(*op));
        continue;
      }
      auto kernel = OpRegistry::instance().make_float({*op, lookup, options.fix_hook, nullptr}, false);
      std::vector<const FloatTensor*> ins;
      for (const xir::Tensor* in : op->get_input_tensors()) ins.push_back(constant(in->get_producer()));
      FloatTensor out(op->get_output_tensor()->get_shape());
      kernel->run(ins, out);
      constants.emplace(op, std::move(out));
    }
    for (const xir::Op* op : order)
      if (dynamic.count(op) && op->get_fanout_num() == 0) output_ops.push_back(op);
    if (input_ops.empty()) throw std::runtime_error("graph '" + graph.get_name() + "' has no data (input) op");
    if (output_ops.empty()) throw std::runtime_error("graph '" + graph.get_name() + "' computes nothing from its inputs");
    // 2. Slots for every dynamic value.
    for (const xir::Op* op : order)
      if (dynamic.count(op)) {
        slot_of[op] = static_cast<int>(slot_shape.size());
        slot_shape.push_back(op->get_output_tensor()->get_shape());
      }
    uses.assign(slot_shape.size(), 0);
    // 3. Steps, with conv + [add] + [activation] fusion.
    std::set<const xir::Op*> fused_away;
    const bool fuse = options.fast && options.fuse;
    for (const xir::Op* op : order) {
      if (!dynamic.count(op) || fused_away.count(op) || op->get_type() == "data" || op->get_type() == "data-fix") continue;
      Step s;
      s.head = op;
      s.kernel = OpRegistry::instance().make_float({*op, lookup, options.fix_hook, options.fix_hook ? options.fix_point_of : nullptr}, options.fast);
      for (const xir::Tensor* in : op->get_input_tensors()) {
        InputRef r;
        if (const FloatTensor* c = constant(in->get_producer())) r.constant = c;
        else r.slot = slot_of.at(in->get_producer());
        s.inputs.push_back(r);
      }
      const xir::Op* cur = op;
      if (fuse && s.kernel->can_fuse()) {
        auto fan = cur->get_fanout_ops();
        if (fan.size() == 1 && fan[0]->get_type() == "add" && fan[0]->get_input_num() == 2) {
          const xir::Op* add = fan[0];
          auto ins = add->get_input_ops("input");
          const xir::Op* other = ins[0] == cur ? ins[1] : ins[0];
          if (other != cur && dynamic.count(other) && position[other] < position[op] &&
              other->get_output_tensor()->get_shape() == cur->get_output_tensor()->get_shape()) {
            s.kernel->fuse_sum();
            s.sum_slot = slot_of.at(other);
            fused_away.insert(add);
            cur = add;
          }
        }
        fan = cur->get_fanout_ops();
        ref::ActivationParams act;
        if (fan.size() == 1 && activation_of(*fan[0], &act)) {
          s.kernel->fuse_activation(act);
          fused_away.insert(fan[0]);
          cur = fan[0];
        }
      }
      s.op = cur;
      s.out_slot = slot_of.at(cur);
      for (const auto& r : s.inputs)
        if (r.slot >= 0) ++uses[r.slot];
      if (s.sum_slot >= 0) ++uses[s.sum_slot];
      steps.push_back(std::move(s));
    }
    for (const xir::Op* op : output_ops) ++uses[slot_of.at(op)];
    VLOG(1) << "float executor: " << order.size() << " ops, " << constants.size() << " constants, " << steps.size() << " steps";
  }

  std::vector<FloatTensor> run(const std::vector<const FloatTensor*>& inputs, const Observer& observer) {
    if (inputs.size() != input_ops.size())
      throw std::invalid_argument("graph '" + graph.get_name() + "' takes " + std::to_string(input_ops.size()) + " inputs, got " +
                                  std::to_string(inputs.size()));
    const std::int32_t batch = inputs[0]->shape.empty() ? 1 : inputs[0]->shape[0];
    std::vector<FloatTensor> values(slot_shape.size());
    std::vector<int> remaining = uses;
    auto shape_for = [&](int slot) {
      auto s = slot_shape[slot];
      if (!s.empty()) s[0] = batch;
      return s;
    };
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto& got = inputs[i]->shape;
      check_input_shape(input_ops[i]->get_name(), input_ops[i]->get_output_tensor()->get_shape(), got, inputs[i]->data.size(), batch);
      int slot = slot_of.at(input_ops[i]);
      values[slot].shape = got;
      values[slot].data = pool.acquire(got.empty() ? 1 : static_cast<std::size_t>(inputs[i]->numel()));
      std::memcpy(values[slot].data.data(), inputs[i]->data.data(), inputs[i]->data.size() * sizeof(float));
      if (observer) observer(input_ops[i], values[slot]);
    }
    auto release = [&](int slot) {
      if (--remaining[slot] == 0) pool.release(std::move(values[slot].data));
    };
    std::vector<const FloatTensor*> ins;
    for (auto& s : steps) {
      ins.clear();
      for (const auto& r : s.inputs) ins.push_back(r.constant ? r.constant : &values[r.slot]);
      FloatTensor& out = values[s.out_slot];
      out.shape = shape_for(s.out_slot);
      bool took_addend = false;
      if (s.sum_slot >= 0 && remaining[s.sum_slot] == 1) {
        // This step is the addend's last reader: accumulate into its buffer instead of copying it.
        out.data = std::move(values[s.sum_slot].data);
        took_addend = true;
      } else {
        out.data = pool.acquire(static_cast<std::size_t>(out.numel()));
        if (s.sum_slot >= 0) std::memcpy(out.data.data(), values[s.sum_slot].data.data(), out.data.size() * sizeof(float));
      }
      s.kernel->run(ins, out);
      if (observer) observer(s.op, out);
      for (const auto& r : s.inputs)
        if (r.slot >= 0) release(r.slot);
      if (s.sum_slot >= 0 && !took_addend) release(s.sum_slot);
    }
    std::vector<FloatTensor> outs;
    for (const xir::Op* op : output_ops) outs.push_back(std::move(values[slot_of.at(op)]));
    return outs;
  }
};

FloatExecutor::FloatExecutor(const xir::Graph& graph, FloatExecutorOptions options)
    : impl_(std::make_unique<Impl>(graph, options)) {}
FloatExecutor::~FloatExecutor() = default;
const std::vector<const xir::Op*>& FloatExecutor::input_ops() const { return impl_->input_ops; }
const std::vector<const xir::Op*>& FloatExecutor::output_ops() const { return impl_->output_ops; }
std::size_t FloatExecutor::step_count() const { return impl_->steps.size(); }
std::vector<FloatTensor> FloatExecutor::run(const std::vector<const FloatTensor*>& inputs, const Observer& observer) {
  return impl_->run(inputs, observer);
}

}  // namespace dputk::engine
