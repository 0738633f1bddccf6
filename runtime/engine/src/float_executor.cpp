#include "dputk/engine/float_executor.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "dputk/engine/op_registry.hpp"
#include "graph_executor.hpp"

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

// Float values: the op library's float kernels (oneDNN ones when fast), conv chains fused, constant
// folding, buffers pooled.
struct FloatPolicy {
  using Value = FloatTensor;
  using Kernel = std::unique_ptr<FloatKernel>;
  using Pool = BufferPool;
  static constexpr bool kPooled = true;
  FloatExecutorOptions options;

  bool is_constant(const xir::Op& op) const { return op.get_type() == "const" || op.get_type() == "const-fix"; }
  Value decode(const xir::Op& op) const { return decode_const(op); }
  bool folds() const { return true; }
  template <typename Lookup>
  Value fold(const xir::Op& op, const Lookup& lookup) const {
    auto kernel = OpRegistry::instance().make_float({op, lookup, options.fix_hook, nullptr}, false);
    std::vector<const FloatTensor*> ins;
    for (const xir::Tensor* t : op.get_input_tensors()) ins.push_back(lookup(t->get_producer()));
    FloatTensor out(op.get_output_tensor()->get_shape());
    kernel->run(ins, out);
    return out;
  }
  template <typename Lookup>
  Kernel make_kernel(const xir::Op& op, const Lookup& lookup) const {
    return OpRegistry::instance().make_float({op, lookup, options.fix_hook, options.fix_point_of}, options.fast);
  }
  bool drops_unread_constants() const { return true; }
  bool reads_constants(const Kernel& k) const { return k->reads_constants(); }
  bool can_fuse(const Kernel& k) const { return options.fast && options.fuse && k->can_fuse(); }
  void fuse_sum(Kernel& k) const { k->fuse_sum(); }
  bool fuse_activation(Kernel& k, const xir::Op& op) const {
    ref::ActivationParams a;
    if (!activation_of(op, &a)) return false;
    k->fuse_activation(a);
    return true;
  }
  void on_input(const xir::Op*) {}
  void on_step(const xir::Op&) {}
  std::size_t input_size(const Value& v) const { return v.data.size(); }
  void feed_input(const xir::Op*, const Value& in, Value& slot, Pool& pool) const {
    slot.shape = in.shape;
    slot.data = pool.acquire(in.shape.empty() ? 1 : static_cast<std::size_t>(in.numel()));
    std::memcpy(slot.data.data(), in.data.data(), in.data.size() * sizeof(float));
  }
  void release(Value& v, Pool& pool) const { pool.release(std::move(v.data)); }
  void take_buffer(Value& from, Value& to) const { to.data = std::move(from.data); }
  void prepare_output(const xir::Op*, Value& out, std::vector<std::int32_t> shape, Pool& pool, bool taken, const Value* addend) const {
    out.shape = std::move(shape);
    if (taken) return;  // accumulates into the addend's buffer
    out.data = pool.acquire(static_cast<std::size_t>(out.numel()));
    if (addend) std::memcpy(out.data.data(), addend->data.data(), out.data.size() * sizeof(float));
  }
  void run(Kernel& k, const std::vector<const Value*>& ins, Value& out) const { k->run(ins, out); }
  Value output(Value& v) const { return std::move(v); }
};

}  // namespace

struct FloatExecutor::Impl : GraphExecutor<FloatPolicy> {
  Impl(const xir::Graph& g, FloatExecutorOptions o) : GraphExecutor<FloatPolicy>(g, nullptr, FloatPolicy{std::move(o)}) {}
};

FloatExecutor::FloatExecutor(const xir::Graph& graph, FloatExecutorOptions options)
    : impl_(std::make_unique<Impl>(graph, std::move(options))) {}
FloatExecutor::~FloatExecutor() = default;
const std::vector<const xir::Op*>& FloatExecutor::input_ops() const { return impl_->input_ops(); }
const std::vector<const xir::Op*>& FloatExecutor::output_ops() const { return impl_->output_ops(); }
std::size_t FloatExecutor::step_count() const { return impl_->step_count(); }
std::size_t FloatExecutor::constant_bytes() const {
  std::size_t n = 0;
  for (const auto& [op, value] : impl_->constants()) n += value.data.size() * sizeof(float);
  return n;
}
std::vector<FloatTensor> FloatExecutor::run(const std::vector<const FloatTensor*>& inputs, const Observer& observer) {
  return impl_->run(inputs, observer);
}
std::vector<FloatTensor> FloatExecutor::run_from(const std::vector<const FloatTensor*>& inputs,
                                                 const std::map<const xir::Op*, const FloatTensor*>& known, const Observer& observer) {
  return impl_->run(inputs, observer, known);
}

}  // namespace dputk::engine
