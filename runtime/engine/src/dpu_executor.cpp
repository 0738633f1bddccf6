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
#include "graph_executor.hpp"
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

namespace {

struct NoPool {};

// DPU values: int8 at a fix point through the DPU's integer kernels, or float (`real`) for the float
// ops of CPU subgraphs (their inputs dequantized, a float2fix back to int8). Slots are kept between runs.
struct DpuPolicy {
  using Value = DpuTensor;
  using Kernel = FixKernel;
  using Pool = NoPool;
  static constexpr bool kPooled = false;
  DpuExecutorOptions options;
  std::map<const xir::Op*, bool> non_negative;  // values known >= 0 (after a ReLU): int8 bytes = u8
  std::map<const xir::Op*, int> fix_point;      // per computed value (0 for float values)
  std::map<const xir::Op*, std::unique_ptr<FloatTensor>> float_constants;  // constants as floats, for float ops
  std::shared_ptr<std::vector<std::int32_t>> scratch = std::make_shared<std::vector<std::int32_t>>();
  int fused_convs = 0;

  bool is_constant(const xir::Op& op) const { return op.get_type() == "const" || op.get_type() == "const-fix"; }
  // Fix kernels point into the decoded constants: every one stays.
  bool drops_unread_constants() const { return false; }
  bool reads_constants(const Kernel&) const { return true; }
  Value decode(const xir::Op& op) const {
    if (op.get_type() == "const-fix") return decode_const_fix(op);
    DpuTensor t;
    FloatTensor f = decode_const(op);
    t.shape = f.shape;
    t.real = std::move(f.data);
    return t;
  }
  bool folds() const { return false; }
  template <typename Lookup>
  Value fold(const xir::Op& op, const Lookup&) const {
    dpu::op_fail(op, "constant folding is not done in DPU integer evaluation");
  }
  bool known_non_negative(const xir::Op* p) const { return non_negative.count(p) && non_negative.at(p); }

  // The op's kernel: the DPU integer one, or — for a float op on the CPU, or an op with only a float
  // kernel (a custom op's plugin) — its float kernel on dequantized inputs.
  template <typename Lookup>
  Kernel make_kernel(const xir::Op& op, const Lookup& lookup) {
    OpRegistry& reg = OpRegistry::instance();
    if (!float_valued(op) && reg.has_fix(op.get_type())) {
      FixKernelArgs a{op, lookup, [this](const xir::Op* p) { return known_non_negative(p); }, scratch, &fused_convs};
      return reg.make_fix(a, options.fast);
    }
    if (!float_valued(op)) dpu::op_fail(op, "the DPU emulator has no kernel for this int8 op type");
    ConstantLookup float_lookup = [this, lookup](const xir::Op* p) -> const FloatTensor* {
      const DpuTensor* c = lookup(p);
      if (!c) return nullptr;
      auto& f = float_constants[p];
      if (!f) {
        f = std::make_unique<FloatTensor>(c->shape);
        dequantize(*c, f->data.data());
      }
      return f.get();
    };
    std::shared_ptr<FloatKernel> k = reg.make_float({op, float_lookup, nullptr, nullptr}, options.fast);
    return [k](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
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
  bool can_fuse(const Kernel&) const { return false; }
  void fuse_sum(Kernel&) const {}
  bool fuse_activation(Kernel&, const xir::Op&) const { return false; }
  void on_input(const xir::Op* op) {
    non_negative[op] = false;
    // a value from another subgraph arrives as int8 at its fix point, or as float (FLOAT32 tensors)
    fix_point[op] = op->get_output_tensor()->get_data_type().type == xir::DataType::FLOAT ? 0 : ops::fix_point_of(*op);
  }
  void on_step(const xir::Op& op) {
    non_negative[&op] = dpu::fix_output_non_negative(op, [this](const xir::Op* p) { return known_non_negative(p); });
    fix_point[&op] = float_valued(op) ? 0 : ops::fix_point_of(op);
  }
  std::size_t input_size(const Value& v) const { return v.real.empty() ? v.data.size() : v.real.size(); }
  void feed_input(const xir::Op* op, const Value& in, Value& slot, Pool&) const {
    slot = in;
    slot.fix_point = fix_point.at(op);
  }
  void release(Value&, Pool&) const {}
  void take_buffer(Value&, Value&) const {}
  void prepare_output(const xir::Op* op, Value& out, std::vector<std::int32_t> shape, Pool&, bool, const Value*) const {
    out.shape = std::move(shape);
    out.fix_point = fix_point.at(op);
    out.data.resize(static_cast<std::size_t>(out.numel()));  // every kernel writes all of it
  }
  void run(Kernel& k, const std::vector<const Value*>& ins, Value& out) const { k(ins, out); }
  Value output(const Value& v) const { return v; }
};

}  // namespace

struct DpuExecutor::Impl : GraphExecutor<DpuPolicy> {
  Impl(const xir::Graph& g, const xir::Subgraph* sg, DpuExecutorOptions o) : GraphExecutor<DpuPolicy>(g, sg, DpuPolicy{o}) {}
};

DpuExecutor::DpuExecutor(const xir::Graph& graph, DpuExecutorOptions options) : impl_(std::make_unique<Impl>(graph, nullptr, options)) {}
DpuExecutor::DpuExecutor(const xir::Subgraph& subgraph, DpuExecutorOptions options)
    : impl_(std::make_unique<Impl>(*subgraph.get_graph(), &subgraph, options)) {}
DpuExecutor::~DpuExecutor() = default;
const std::vector<const xir::Op*>& DpuExecutor::input_ops() const { return impl_->input_ops(); }
const std::vector<const xir::Op*>& DpuExecutor::output_ops() const { return impl_->output_ops(); }
int DpuExecutor::fused_convolutions() const { return impl_->policy().fused_convs; }
int DpuExecutor::input_fix_point(std::size_t i) const { return impl_->policy().fix_point.at(impl_->input_ops().at(i)); }
std::vector<DpuTensor> DpuExecutor::run(const Inputs& inputs, const Observer& observer) {
  if (!observer) return impl_->run(inputs, nullptr);
  return impl_->run(inputs, [&](const xir::Op* op, DpuTensor& v) { observer(op, v); });
}

}  // namespace dputk::engine
