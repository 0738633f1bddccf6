// Host buffers for runner tensors (as Xilinx's vart/runner_helper.hpp).
#pragma once
#include <memory>
#include <vector>

#include "vart/tensor_buffer.hpp"

namespace vart {

// One contiguous host buffer per tensor (its full shape, batch included), zero-filled.
std::vector<std::unique_ptr<vart::TensorBuffer>> alloc_cpu_flat_tensor_buffers(const std::vector<const xir::Tensor*>& tensors);

}  // namespace vart
