// A contiguous host buffer for one tensor (internal; applications get them from
// alloc_cpu_flat_tensor_buffers or RunnerExt::get_inputs/get_outputs).
#pragma once
#include <memory>

#include "vart/tensor_buffer.hpp"

namespace dputk::vart_emu {

class CpuFlatTensorBuffer : public vart::TensorBuffer {
 public:
  // Views `tensor` (which must outlive the buffer); with `owned`, keeps that tensor alive itself.
  explicit CpuFlatTensorBuffer(const xir::Tensor* tensor, std::unique_ptr<xir::Tensor> owned = nullptr);
  std::pair<std::uint64_t, std::size_t> data(const std::vector<std::int32_t> idx = {}) override;
  char* bytes() { return storage_.data(); }

 private:
  std::unique_ptr<xir::Tensor> owned_;
  std::vector<char> storage_;
};

}  // namespace dputk::vart_emu
