// vart::TensorBuffer — VART's buffer interface (same names and signatures as Xilinx's vart/tensor_buffer.hpp),
// so applications written for VART compile against our DPU emulation unchanged.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "xir/tensor/tensor.hpp"

namespace vart {

class TensorBuffer {
 public:
  enum class location_t { HOST_VIRT = 0, HOST_PHY = 1, DEVICE_0 = 2, DEVICE_1, DEVICE_2, DEVICE_3, DEVICE_4, DEVICE_5, DEVICE_6, DEVICE_7 };

  explicit TensorBuffer(const xir::Tensor* tensor) : tensor_(tensor) {}
  virtual ~TensorBuffer() = default;
  TensorBuffer(const TensorBuffer&) = delete;
  TensorBuffer& operator=(const TensorBuffer&) = delete;

  // Address of element `idx` (all zeros / empty = the start) and the bytes contiguous from there.
  virtual std::pair<std::uint64_t, std::size_t> data(const std::vector<std::int32_t> idx = {}) = 0;
  virtual location_t get_location() const { return location_t::HOST_VIRT; }
  virtual std::pair<std::uint64_t, std::size_t> data_phy(const std::vector<std::int32_t> idx) { return {0u, 0u}; }
  virtual void sync_for_read(std::uint64_t offset, std::size_t size) {}
  virtual void sync_for_write(std::uint64_t offset, std::size_t size) {}
  // Copies `size` bytes between host memory and batch `batch_idx` of this buffer, at byte `offset`
  // within that batch.
  virtual void copy_from_host(std::size_t batch_idx, const void* buf, std::size_t size, std::size_t offset);
  virtual void copy_to_host(std::size_t batch_idx, void* buf, std::size_t size, std::size_t offset);

  const xir::Tensor* get_tensor() const { return tensor_; }
  virtual std::string to_string() const;

  static std::string to_string(location_t value);
  static void copy_tensor_buffer(vart::TensorBuffer* tb_from, vart::TensorBuffer* tb_to);

 protected:
  const xir::Tensor* tensor_;
};

}  // namespace vart
