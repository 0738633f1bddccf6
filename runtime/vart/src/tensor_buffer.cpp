#include "vart/tensor_buffer.hpp"

#include <cstring>
#include <stdexcept>

namespace vart {

namespace {

// Byte range of batch `batch_idx` + offset .. + size, checked against the tensor.
std::uint64_t batch_address(TensorBuffer& tb, std::size_t batch_idx, std::size_t size, std::size_t offset) {
  const xir::Tensor* t = tb.get_tensor();
  const auto& shape = t->get_shape();
  const std::size_t batches = shape.empty() ? 1 : static_cast<std::size_t>(shape[0]);
  const std::size_t per_batch = static_cast<std::size_t>(t->get_data_size()) / batches;
  if (batch_idx >= batches || offset + size > per_batch)
    throw std::out_of_range("tensor buffer '" + t->get_name() + "': batch " + std::to_string(batch_idx) + ", bytes [" +
                            std::to_string(offset) + ", " + std::to_string(offset + size) + ") outside " + std::to_string(batches) +
                            " × " + std::to_string(per_batch) + " bytes");
  std::vector<std::int32_t> idx(shape.size(), 0);
  if (!idx.empty()) idx[0] = static_cast<std::int32_t>(batch_idx);
  auto [addr, bytes] = tb.data(idx);
  if (bytes < offset + size) throw std::out_of_range("tensor buffer '" + t->get_name() + "' is not contiguous for this copy");
  return addr + offset;
}

}  // namespace

void TensorBuffer::copy_from_host(std::size_t batch_idx, const void* buf, std::size_t size, std::size_t offset) {
  std::memcpy(reinterpret_cast<void*>(batch_address(*this, batch_idx, size, offset)), buf, size);
}

void TensorBuffer::copy_to_host(std::size_t batch_idx, void* buf, std::size_t size, std::size_t offset) {
  std::memcpy(buf, reinterpret_cast<const void*>(batch_address(*this, batch_idx, size, offset)), size);
}

std::string TensorBuffer::to_string(location_t value) {
  switch (value) {
    case location_t::HOST_VIRT: return "HOST_VIRT";
    case location_t::HOST_PHY: return "HOST_PHY";
    default: return "DEVICE_" + std::to_string(static_cast<int>(value) - static_cast<int>(location_t::DEVICE_0));
  }
}

std::string TensorBuffer::to_string() const {
  return "TensorBuffer{@" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ", tensor=" + tensor_->to_string() +
         ", location=" + to_string(get_location()) + "}";
}

void TensorBuffer::copy_tensor_buffer(vart::TensorBuffer* from, vart::TensorBuffer* to) {
  const std::size_t size = static_cast<std::size_t>(from->get_tensor()->get_data_size());
  if (to->get_tensor()->get_data_size() != size)
    throw std::invalid_argument("copy_tensor_buffer: '" + from->get_tensor()->get_name() + "' and '" + to->get_tensor()->get_name() +
                                "' differ in size");
  auto [src, src_bytes] = from->data();
  auto [dst, dst_bytes] = to->data();
  if (src_bytes < size || dst_bytes < size) throw std::invalid_argument("copy_tensor_buffer: buffers are not contiguous");
  std::memcpy(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), size);
}

}  // namespace vart
