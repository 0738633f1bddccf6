#include "cpu_flat_tensor_buffer.hpp"

#include <stdexcept>

#include "dputk/vart/vart_emu.hpp"
#include "vart/runner_helper.hpp"

namespace dputk::vart_emu {

CpuFlatTensorBuffer::CpuFlatTensorBuffer(const xir::Tensor* tensor, std::unique_ptr<xir::Tensor> owned)
    : vart::TensorBuffer(tensor), owned_(std::move(owned)), storage_(static_cast<std::size_t>(tensor->get_data_size()), 0) {}

std::pair<std::uint64_t, std::size_t> CpuFlatTensorBuffer::data(const std::vector<std::int32_t> idx) {
  const auto& shape = tensor_->get_shape();
  std::size_t linear = 0;
  if (!idx.empty()) {
    if (idx.size() != shape.size()) throw std::out_of_range("tensor buffer '" + tensor_->get_name() + "': index of wrong rank");
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (idx[d] < 0 || idx[d] >= shape[d]) throw std::out_of_range("tensor buffer '" + tensor_->get_name() + "': index out of range");
      linear = linear * static_cast<std::size_t>(shape[d]) + static_cast<std::size_t>(idx[d]);
    }
  }
  const std::size_t offset = linear * static_cast<std::size_t>(tensor_->get_data_type().bit_width / 8);
  return {reinterpret_cast<std::uint64_t>(storage_.data() + offset), storage_.size() - offset};
}

std::unique_ptr<vart::TensorBuffer> alloc_batch_buffer(const xir::Tensor* tensor, std::int32_t batch) {
  auto shape = tensor->get_shape();
  if (!shape.empty()) shape[0] = batch;
  auto owned = xir::Tensor::create(tensor->get_name(), shape, tensor->get_data_type());
  owned->set_attrs(tensor->get_attrs());
  const xir::Tensor* view = owned.get();
  return std::make_unique<CpuFlatTensorBuffer>(view, std::move(owned));
}

}  // namespace dputk::vart_emu

namespace vart {

std::vector<std::unique_ptr<vart::TensorBuffer>> alloc_cpu_flat_tensor_buffers(const std::vector<const xir::Tensor*>& tensors) {
  std::vector<std::unique_ptr<vart::TensorBuffer>> out;
  for (const xir::Tensor* t : tensors) out.push_back(std::make_unique<dputk::vart_emu::CpuFlatTensorBuffer>(t));
  return out;
}

}  // namespace vart
