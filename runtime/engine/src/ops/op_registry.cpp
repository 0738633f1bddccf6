#include "dputk/engine/op_registry.hpp"

#include <any>
#include <cstring>
#include <map>
#include <mutex>

#include "dputk/dpu/op_error.hpp"
#include "dputk/engine/op_plugins.hpp"
#include "conv_common.hpp"
#include "xir/graph/graph.hpp"

namespace dputk::engine {

#define DPUTK_OP(name) void register_##name(OpRegistry& r);
#include "op_list.inc"
#undef DPUTK_OP

struct OpRegistry::Impl {
  template <typename F>
  struct Entry {
    F reference, optimized;
  };
  std::map<std::string, Entry<FloatFactory>> floats;
  std::map<std::string, Entry<FixFactory>> fixes;
  mutable std::mutex mutex;
};

OpRegistry::OpRegistry() : impl_(std::make_unique<Impl>()) {}

OpRegistry& OpRegistry::instance() {
  static OpRegistry* r = [] {
    auto* reg = new OpRegistry();
#define DPUTK_OP(name) register_##name(*reg);
#include "op_list.inc"
#undef DPUTK_OP
    return reg;
  }();
  return *r;
}

void OpRegistry::add_float(const std::string& type, KernelKind kind, FloatFactory f) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& e = impl_->floats[type];
  (kind == KernelKind::REFERENCE ? e.reference : e.optimized) = std::move(f);
}

void OpRegistry::add_fix(const std::string& type, KernelKind kind, FixFactory f) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& e = impl_->fixes[type];
  (kind == KernelKind::REFERENCE ? e.reference : e.optimized) = std::move(f);
}

bool OpRegistry::has_float(const std::string& type) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->floats.count(type) > 0;
}
bool OpRegistry::has_fix(const std::string& type) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->fixes.count(type) > 0;
}
std::vector<std::string> OpRegistry::float_types() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<std::string> out;
  for (const auto& [t, e] : impl_->floats) out.push_back(t);
  return out;
}
std::vector<std::string> OpRegistry::fix_types() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<std::string> out;
  for (const auto& [t, e] : impl_->fixes) out.push_back(t);
  return out;
}

namespace {
// The optimized factory's kernel when `fast` and it takes the op, else the reference one's; nullptr-like
// (empty) when the type has neither.
template <typename Entry, typename Args>
auto make_with(const Entry& e, const Args& args, bool fast) -> decltype(e.reference(args)) {
  if (fast && e.optimized)
    if (auto k = e.optimized(args)) return k;
  if (e.reference) return e.reference(args);
  return {};
}
template <typename Map>
auto entry_of(const Map& m, const std::string& type, std::mutex& mutex) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = m.find(type);
  return it == m.end() ? typename Map::mapped_type{} : it->second;
}
}  // namespace

std::unique_ptr<FloatKernel> OpRegistry::make_float(const FloatKernelArgs& args, bool fast) const {
  if (auto k = make_with(entry_of(impl_->floats, args.op.get_type(), impl_->mutex), args, fast)) return k;
  // No built-in kernel: a custom-op plugin (libvart_op_imp_<type>.so), or a clear error.
  return make_plugin_kernel(args.op);
}

FixKernel OpRegistry::make_fix(const FixKernelArgs& args, bool fast) const {
  if (auto k = make_with(entry_of(impl_->fixes, args.op.get_type(), impl_->mutex), args, fast)) return k;
  dpu::op_fail(args.op, "the DPU emulator has no integer kernel for this op type");
}

FloatTensor decode_const(const xir::Op& op) {
  FloatTensor t(op.get_output_tensor()->get_shape());
  const auto& bytes = op.get_attr<std::vector<char>>("data");
  xir::DataType dt(op.get_attr<std::string>("data_type"));
  const std::size_t n = t.data.size();
  auto need = [&](std::size_t el) {
    if (bytes.size() != n * el)
      dpu::op_fail(op, "holds " + std::to_string(bytes.size()) + " bytes, its shape " + shape_to_string(t.shape) + " and type " +
                           dt.to_string() + " need " + std::to_string(n * el));
  };
  auto widen = [&](auto sample) {
    using T = decltype(sample);
    need(sizeof(T));
    for (std::size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, bytes.data() + sizeof(T) * i, sizeof(T));
      t.data[i] = static_cast<float>(v);
    }
  };
  if (dt.type == xir::DataType::FLOAT && dt.bit_width == 32) widen(float{});
  else if ((dt.type == xir::DataType::INT || dt.type == xir::DataType::XINT) && dt.bit_width == 8) widen(std::int8_t{});
  else if (dt.type == xir::DataType::INT && dt.bit_width == 32) widen(std::int32_t{});
  else if (dt.type == xir::DataType::INT && dt.bit_width == 64) widen(std::int64_t{});
  else dpu::op_fail(op, "data type " + dt.to_string() + " is not supported");
  return t;
}

// Weights of a const-fix op: its `data` attr (quantizer-made and un-partitioned graphs), or, in a
// vai_c_xir-compiled DPU subgraph where `data` is empty, the bytes of the subgraph's
// reg_id_to_parameter_value["REG_<reg_id>"] at the tensor's ddr_addr.
DpuTensor decode_const_fix(const xir::Op& op) {
  auto fail = [&](const std::string& why) { dpu::op_fail(op, why); };
  DpuTensor t;
  t.shape = op.get_output_tensor()->get_shape();
  t.fix_point = ops::fix_point_of(op);
  const auto n = static_cast<std::size_t>(t.numel());
  const auto& bytes = op.get_attr<std::vector<char>>("data");
  if (!bytes.empty()) {
    if (bytes.size() != n) fail("holds " + std::to_string(bytes.size()) + " bytes for " + std::to_string(n) + " int8 values");
    t.data.assign(bytes.begin(), bytes.end());
    return t;
  }
  const xir::Tensor* tensor = op.get_output_tensor();
  if (!tensor->has_attr("reg_id") || !tensor->has_attr("ddr_addr"))
    fail("has no data and its tensor no reg_id/ddr_addr to find it in the DPU subgraph's parameters");
  const std::string reg = "REG_" + std::to_string(tensor->get_attr<std::int32_t>("reg_id"));
  const std::int64_t addr = tensor->get_attr<std::int32_t>("ddr_addr");
  using Blobs = std::map<std::string, std::vector<char>>;
  for (const xir::Subgraph* sg = op.get_graph()->get_leaf_subgraph(&op); sg; sg = sg->get_parent()) {
    if (!sg->has_attr("reg_id_to_parameter_value")) continue;
    const auto& blobs = std::any_cast<const Blobs&>(sg->get_attr("reg_id_to_parameter_value"));
    auto it = blobs.find(reg);
    if (it == blobs.end()) fail("subgraph '" + sg->get_name() + "' has no parameter blob " + reg);
    if (addr < 0 || addr + static_cast<std::int64_t>(n) > static_cast<std::int64_t>(it->second.size()))
      fail("weights at " + reg + "+" + std::to_string(addr) + " (" + std::to_string(n) + " bytes) lie outside the " +
                   std::to_string(it->second.size()) + "-byte blob");
    t.data.assign(it->second.begin() + addr, it->second.begin() + addr + static_cast<std::int64_t>(n));
    return t;
  }
  fail("has no data and no enclosing subgraph holds reg_id_to_parameter_value");
}

}  // namespace dputk::engine
