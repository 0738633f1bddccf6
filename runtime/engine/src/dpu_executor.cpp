#include "dputk/engine/dpu_executor.hpp"

#include <any>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "dputk/dpu/fix_math.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/float_tensor.hpp"
#include "dputk/engine/op_registry.hpp"
#include "ops/conv_common.hpp"

namespace dputk::engine {

namespace {

using Shape = std::vector<std::int32_t>;
using Inputs = std::vector<const DpuTensor*>;
using Kernel = FixKernel;

// A float op on the CPU (softmax, custom ops, ...): its value has no fix point. (fix2float's value
// stays int8 inside the executor; consumers dequantize it.)
bool float_valued(const xir::Op& op) {
  return op.get_output_tensor()->get_data_type().type == xir::DataType::FLOAT && op.get_type() != "fix2float";
}

}  // namespace

void quantize_input(const float* in, std::int64_t count, int fix_point, std::int8_t* out) {
  dpu::quantize_array(in, count, dpu::FixSpec{fix_point, 8, true, dpu::RoundMode::DPU_ROUND}, out);
}

DpuTensor quantize_tensor(const FloatTensor& in, int fix_point) {
  DpuTensor t;
  t.shape = in.shape;
  t.fix_point = fix_point;
  t.data.resize(in.data.size());
  quantize_input(in.data.data(), in.numel(), fix_point, t.data.data());
  return t;
}

void dequantize(const DpuTensor& t, float* out) {
  if (!t.real.empty()) {
    std::copy(t.real.begin(), t.real.end(), out);
    return;
  }
  const float scale = static_cast<float>(std::ldexp(1.0, -t.fix_point));
  for (std::size_t i = 0; i < t.data.size(); ++i) out[i] = static_cast<float>(t.data[i]) * scale;
}

struct DpuExecutor::Impl {
  const xir::Graph& graph;
  const xir::Subgraph* subgraph = nullptr;  // run only its ops (inputs: what flows in from outside)
  DpuExecutorOptions options;
  std::vector<const xir::Op*> input_ops, output_ops;
  std::map<const xir::Op*, DpuTensor> constants;
  std::map<const xir::Op*, FloatTensor> float_constants;  // the same constants as floats (for float ops)
  std::map<const xir::Op*, int> slot_of;
  struct Step {
    const xir::Op* op;
    Kernel kernel;
    std::vector<std::pair<const DpuTensor*, int>> inputs;  // constant or slot
    int out_slot;
    int fix_point;
  };
  std::vector<Step> steps;
  std::vector<Shape> slot_shape;
  std::vector<int> slot_fp;
  int fused_convs = 0;
  std::map<const xir::Op*, bool> non_negative;  // values known >= 0 (after a ReLU), int8 bytes = u8
  std::vector<DpuTensor> values;  // per-slot buffers, kept between runs (an executor runs one batch at a time)
  std::shared_ptr<std::vector<std::int32_t>> scratch = std::make_shared<std::vector<std::int32_t>>();

  Impl(const xir::Graph& g, const xir::Subgraph* sg, DpuExecutorOptions o) : graph(g), subgraph(sg), options(o) { plan(); }

  std::string scope() const { return subgraph ? "subgraph '" + subgraph->get_name() + "'" : "graph '" + graph.get_name() + "'"; }

  // A value produced outside the subgraph becomes an input slot (constants are decoded instead).
  void add_external(const xir::Op* p) {
    if (slot_of.count(p) || constants.count(p)) return;
    if (p->get_type() == "const-fix" || p->get_type() == "const") {
      add_constant(p);
      return;
    }
    slot_of[p] = static_cast<int>(slot_shape.size());
    slot_shape.push_back(p->get_output_tensor()->get_shape());
    // a value from another subgraph arrives as int8 at its fix point, or as float (FLOAT32 tensors)
    slot_fp.push_back(p->get_output_tensor()->get_data_type().type == xir::DataType::FLOAT ? 0 : ops::fix_point_of(*p));
    input_ops.push_back(p);
    non_negative[p] = false;
  }

  // The op's kernel: the DPU integer one, or — for a float op on the CPU, or an op with only a float
  // kernel (a custom op's plugin) — its float kernel on dequantized inputs.
  Kernel make_kernel(const xir::Op& op) {
    OpRegistry& reg = OpRegistry::instance();
    if (!float_valued(op) && reg.has_fix(op.get_type())) {
      FixKernelArgs a{op, [this](const xir::Op* p) -> const DpuTensor* { return constants.count(p) ? &constants.at(p) : nullptr; },
                      [this](const xir::Op* p) { return non_negative.count(p) && non_negative.at(p); }, scratch, &fused_convs};
      return reg.make_fix(a, options.fast);
    }
    if (!float_valued(op)) dpu::op_fail(op, "the DPU emulator has no kernel for this int8 op type");
    ConstantLookup lookup = [this](const xir::Op* p) -> const FloatTensor* {
      auto it = float_constants.find(p);
      return it == float_constants.end() ? nullptr : &it->second;
    };
    std::shared_ptr<FloatKernel> k = reg.make_float({op, lookup, nullptr, nullptr}, options.fast);
    return [k](const Inputs& in, DpuTensor& out) {
      std::vector<FloatTensor> xs(in.size());
      std::vector<const FloatTensor*> ptrs;
      for (std::size_t i = 0; i < in.size(); ++i) {
        xs[i].shape = in[i]->shape;
        xs[i].data.resize(static_cast<std::size_t>(in[i]->numel()));
        dequantize(*in[i], xs[i].data.data());
        ptrs.push_back(&xs[i]);
      }
      FloatTensor y(out.shape);
      k->run(ptrs, y);
      out.data.clear();
      out.real = std::move(y.data);
    };
  }

  // A constant: int8 weights (const-fix) or float values (const, for float ops on the CPU).
  void add_constant(const xir::Op* p) {
    if (p->get_type() == "const-fix") {
      constants.emplace(p, decode_const_fix(*p));
      FloatTensor f(constants.at(p).shape);
      dequantize(constants.at(p), f.data.data());
      float_constants.emplace(p, std::move(f));
    } else {
      FloatTensor f = decode_const(*p);
      DpuTensor t;
      t.shape = f.shape;
      t.real = f.data;
      constants.emplace(p, std::move(t));
      float_constants.emplace(p, std::move(f));
    }
  }

  void plan() {
    auto order = subgraph ? subgraph->topological_sort() : graph.topological_sort();
    auto inside = [&](const xir::Op* op) { return !subgraph || subgraph->has_op(op); };
    for (const xir::Op* op : order) {
      const std::string& t = op->get_type();
      for (const xir::Tensor* in : op->get_input_tensors())
        if (!inside(in->get_producer())) add_external(in->get_producer());
      if (t == "const-fix" || t == "const") {
        add_constant(op);
        continue;
      }
      slot_of[op] = static_cast<int>(slot_shape.size());
      slot_shape.push_back(op->get_output_tensor()->get_shape());
      slot_fp.push_back(float_valued(*op) ? 0 : ops::fix_point_of(*op));
      if (t == "data-fix" || t == "data") {
        input_ops.push_back(op);
        non_negative[op] = false;
        continue;
      }
      Step s{op, make_kernel(*op), {}, slot_of[op], slot_fp.back()};
      non_negative[op] = dpu::fix_output_non_negative(*op, [this](const xir::Op* p) { return non_negative.count(p) && non_negative.at(p); });
      for (const xir::Tensor* in : op->get_input_tensors()) {
        const xir::Op* p = in->get_producer();
        if (constants.count(p)) s.inputs.emplace_back(&constants.at(p), -1);
        else s.inputs.emplace_back(nullptr, slot_of.at(p));
      }
      steps.push_back(std::move(s));
    }
    for (const xir::Op* op : order) {
      if (op->get_type() == "const-fix" || op->get_type() == "const") continue;
      bool leaves = op->get_fanout_num() == 0;
      for (const xir::Op* user : op->get_fanout_ops()) leaves = leaves || !inside(user);
      if (leaves) output_ops.push_back(op);
    }
    if (input_ops.empty()) throw std::runtime_error(scope() + " has no input (data-fix op or value from outside)");
  }

  std::vector<DpuTensor> run(const Inputs& inputs, const Observer& observer) {
    if (inputs.size() != input_ops.size())
      throw std::invalid_argument(scope() + " takes " + std::to_string(input_ops.size()) + " inputs, got " +
                                  std::to_string(inputs.size()));
    const std::int32_t batch = inputs[0]->shape.empty() ? 1 : inputs[0]->shape[0];
    values.resize(slot_shape.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      check_input_shape(input_ops[i]->get_name(), input_ops[i]->get_output_tensor()->get_shape(), inputs[i]->shape,
                        inputs[i]->real.empty() ? inputs[i]->data.size() : inputs[i]->real.size(), batch);
      int slot = slot_of.at(input_ops[i]);
      values[slot] = *inputs[i];
      values[slot].fix_point = slot_fp[slot];
      if (observer) observer(input_ops[i], values[slot]);
    }
    Inputs ins;
    for (auto& s : steps) {
      ins.clear();
      for (const auto& in : s.inputs) ins.push_back(in.first ? in.first : &values[in.second]);
      DpuTensor& out = values[s.out_slot];
      out.shape = slot_shape[s.out_slot];
      if (!out.shape.empty()) out.shape[0] = batch;
      out.fix_point = s.fix_point;
      out.data.resize(static_cast<std::size_t>(out.numel()));  // every kernel writes all of it
      s.kernel(ins, out);
      if (observer) observer(s.op, out);
    }
    std::vector<DpuTensor> outs;
    for (const xir::Op* op : output_ops) outs.push_back(values[slot_of.at(op)]);
    return outs;
  }
};

DpuExecutor::DpuExecutor(const xir::Graph& graph, DpuExecutorOptions options) : impl_(std::make_unique<Impl>(graph, nullptr, options)) {}
DpuExecutor::DpuExecutor(const xir::Subgraph& subgraph, DpuExecutorOptions options)
    : impl_(std::make_unique<Impl>(*subgraph.get_graph(), &subgraph, options)) {}
DpuExecutor::~DpuExecutor() = default;
const std::vector<const xir::Op*>& DpuExecutor::input_ops() const { return impl_->input_ops; }
const std::vector<const xir::Op*>& DpuExecutor::output_ops() const { return impl_->output_ops; }
int DpuExecutor::fused_convolutions() const { return impl_->fused_convs; }
int DpuExecutor::input_fix_point(std::size_t i) const { return impl_->slot_fp[impl_->slot_of.at(impl_->input_ops.at(i))]; }
std::vector<DpuTensor> DpuExecutor::run(const Inputs& inputs, const Observer& observer) { return impl_->run(inputs, observer); }

}  // namespace dputk::engine
