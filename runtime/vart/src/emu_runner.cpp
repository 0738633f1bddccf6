#include "emu_runner.hpp"

#include <omp.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "vart/runner_helper.hpp"

namespace dputk::vart_emu {

namespace {

std::atomic<int> live_runners{0};  // DPU subgraph runners alive (they share the machine's cores)

std::int32_t batch_of(const vart::TensorBuffer* b) {
  const auto& s = b->get_tensor()->get_shape();
  return s.empty() ? 1 : s[0];
}

std::int64_t per_sample(const xir::Tensor* t) {
  std::int64_t n = 1;
  for (std::size_t d = 1; d < t->get_shape().size(); ++d) n *= t->get_shape()[d];
  return n;
}

}  // namespace

int threads_for(int requested) {
  if (requested > 0) return requested;
  return std::max(1, omp_get_num_procs() / std::max(1, live_runners.load()));
}

vart::TensorBuffer* buffer_for(const xir::Tensor* tensor, std::size_t position, const std::vector<vart::TensorBuffer*>& buffers,
                               std::size_t expected_count, const std::string& who) {
  for (vart::TensorBuffer* b : buffers)
    if (b && b->get_tensor()->get_name() == tensor->get_name()) return b;
  if (buffers.size() == expected_count && buffers[position]) return buffers[position];
  throw std::invalid_argument(who + ": no tensor buffer for '" + tensor->get_name() + "' (got " + std::to_string(buffers.size()) +
                              " buffers, expected " + std::to_string(expected_count) + ")");
}

EmuSubgraphRunner::EmuSubgraphRunner(const xir::Subgraph* sg, const std::string& mode, int num_threads)
    : subgraph_(sg), num_threads_(num_threads) {
  if (!sg) throw std::invalid_argument("create_runner: null subgraph");
  const std::string device = sg->has_attr("device") ? sg->get_attr<std::string>("device") : "";
  if (device != "DPU" && device != "CPU")
    throw std::runtime_error("subgraph '" + sg->get_name() + "' (device '" + device + "') has no runner: only DPU and CPU subgraphs run");
  if (!mode.empty() && mode != "run" && mode != "sim" && mode != "ref")
    throw std::runtime_error("create_runner: unknown mode '" + mode + "' for subgraph '" + sg->get_name() + "' (run, sim, ref)");
  // The emulator is a DPUCZDX8G (ZCU102 / KV260): a model compiled for another DPU family would be
  // refused by the board too (fingerprint check), so it is refused here.
  if (device == "DPU" && sg->has_attr("dpu_fingerprint")) {
    const auto fp = sg->get_attr<std::uint64_t>("dpu_fingerprint");
    if (fp != 0 && (fp >> 56) != 1) {
      char hex[32];
      std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(fp));
      const std::string name = sg->has_attr("dpu_name") ? sg->get_attr<std::string>("dpu_name") : "another DPU";
      throw std::runtime_error("DPU subgraph '" + sg->get_name() + "' was compiled for " + name + " (fingerprint " + hex +
                               "), not a DPUCZDX8G (ZCU102 / KV260) — compile it with board/kv260/arch.json");
    }
  }
  try {
    exec_ = std::make_unique<engine::DpuExecutor>(*sg);
  } catch (const std::exception& e) {
    throw std::runtime_error(device + " subgraph '" + sg->get_name() + "': " + e.what());
  }
  for (const xir::Op* op : exec_->input_ops()) inputs_.push_back(op->get_output_tensor());
  for (const xir::Op* op : exec_->output_ops()) outputs_.push_back(op->get_output_tensor());
  in_values_.resize(inputs_.size());
  counted_ = device == "DPU";
  if (counted_) ++live_runners;
}

EmuSubgraphRunner::~EmuSubgraphRunner() {
  if (counted_) --live_runners;
}

std::vector<vart::TensorBuffer*> EmuSubgraphRunner::get_inputs() {
  if (own_inputs_.empty()) own_inputs_ = vart::alloc_cpu_flat_tensor_buffers(inputs_);
  std::vector<vart::TensorBuffer*> out;
  for (auto& b : own_inputs_) out.push_back(b.get());
  return out;
}

std::vector<vart::TensorBuffer*> EmuSubgraphRunner::get_outputs() {
  if (own_outputs_.empty()) own_outputs_ = vart::alloc_cpu_flat_tensor_buffers(outputs_);
  std::vector<vart::TensorBuffer*> out;
  for (auto& b : own_outputs_) out.push_back(b.get());
  return out;
}

std::pair<std::uint32_t, int> EmuSubgraphRunner::execute_async(const std::vector<vart::TensorBuffer*>& input,
                                                               const std::vector<vart::TensorBuffer*>& output) {
  const std::string who = "runner of subgraph '" + subgraph_->get_name() + "'";
  std::int32_t batch = -1;
  std::vector<const engine::DpuTensor*> ins;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const xir::Tensor* t = inputs_[i];
    vart::TensorBuffer* b = buffer_for(t, i, input, inputs_.size(), who);
    // int8 inputs (DPU subgraphs, a CPU subgraph's int8 values) or float32 ones (a CPU subgraph whose
    // first op reads a float value, e.g. the output of another CPU subgraph's float op)
    const bool as_float = t->get_data_type().type == xir::DataType::FLOAT && t->get_data_type().bit_width == 32;
    if (!as_float && (t->get_data_type().type != xir::DataType::XINT || t->get_data_type().bit_width != 8))
      throw std::invalid_argument(who + ": input '" + t->get_name() + "' is " + t->get_data_type().to_string() +
                                  "; only XINT8 and FLOAT32 inputs are supported");
    const std::int32_t nb = batch_of(b);
    if (batch < 0) batch = nb;
    if (nb != batch) throw std::invalid_argument(who + ": input buffers of different batch sizes");
    const std::int64_t n = per_sample(t) * nb;
    auto [addr, bytes] = b->data();
    const std::int64_t element = as_float ? 4 : 1;
    if (static_cast<std::int64_t>(bytes) < n * element) throw std::invalid_argument(who + ": buffer for '" + t->get_name() + "' is too small");
    engine::DpuTensor& v = in_values_[i];
    v.shape = t->get_shape();
    if (!v.shape.empty()) v.shape[0] = nb;
    v.fix_point = as_float ? 0 : exec_->input_fix_point(i);
    if (as_float) {
      v.data.clear();
      v.real.resize(static_cast<std::size_t>(n));
      std::memcpy(v.real.data(), reinterpret_cast<const void*>(addr), static_cast<std::size_t>(n) * sizeof(float));
    } else {
      v.real.clear();
      v.data.resize(static_cast<std::size_t>(n));
      std::memcpy(v.data.data(), reinterpret_cast<const void*>(addr), static_cast<std::size_t>(n));
    }
    ins.push_back(&v);
  }
  omp_set_num_threads(threads_for(num_threads_));
  engine::DpuExecutor::Observer obs;
  if (observer_) obs = [this](const xir::Op* op, const engine::DpuTensor& v) { observer_(op->get_output_tensor(), v); };
  std::vector<engine::DpuTensor> outs = exec_->run(ins, obs);
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    const xir::Tensor* t = outputs_[i];
    vart::TensorBuffer* b = buffer_for(t, i, output, outputs_.size(), who);
    if (batch_of(b) != batch) throw std::invalid_argument(who + ": output buffer '" + t->get_name() + "' has another batch size than the inputs");
    auto [addr, bytes] = b->data();
    const engine::DpuTensor& v = outs[i];
    const bool as_float = t->get_data_type().type == xir::DataType::FLOAT;
    if (bytes < static_cast<std::size_t>(v.numel()) * (as_float ? 4 : 1)) throw std::invalid_argument(who + ": buffer for '" + t->get_name() + "' is too small");
    if (as_float) engine::dequantize(v, reinterpret_cast<float*>(addr));
    else std::memcpy(reinterpret_cast<void*>(addr), v.data.data(), v.data.size());
  }
  return {jobs_++, 0};
}

}  // namespace dputk::vart_emu
