// Extensions of the emulation backend beyond the VART API (used by dpu-run; not available on a board).
#pragma once
#include <functional>
#include <memory>

#include "dputk/engine/dpu_executor.hpp"
#include "vart/runner.hpp"

namespace dputk::vart_emu {

// Called with every tensor a graph runner computes (int8 values with their fix point), in order.
using TensorObserver = std::function<void(const xir::Tensor*, const engine::DpuTensor&)>;
// graph_runner: from vitis::ai::GraphRunner::create_graph_runner. Throws for other runners.
void set_tensor_observer(vart::Runner* graph_runner, TensorObserver observer);

// A zero-filled host buffer for `tensor` with batch size `batch` (the emulator's runners take any
// batch); the buffer owns the batch-sized tensor it reports.
std::unique_ptr<vart::TensorBuffer> alloc_batch_buffer(const xir::Tensor* tensor, std::int32_t batch);

}  // namespace dputk::vart_emu
