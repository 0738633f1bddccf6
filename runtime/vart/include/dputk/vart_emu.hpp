// Extensions of the emulation backend beyond the VART API (used by dpu-run; not available on a board).
#pragma once
#include <functional>

#include "dputk/engine/dpu_executor.hpp"
#include "vart/runner.hpp"

namespace dputk::vart_emu {

// Called with every tensor a graph runner computes (int8 values with their fix point), in order.
using TensorObserver = std::function<void(const xir::Tensor*, const engine::DpuTensor&)>;
// graph_runner: from vitis::ai::GraphRunner::create_graph_runner. Throws for other runners.
void set_tensor_observer(vart::Runner* graph_runner, TensorObserver observer);

}  // namespace dputk::vart_emu
