// vart::simple_tensor_buffer_t<T>: one tensor's memory as a custom op sees it (the shape of Vitis AI's
// type of that name): data, size in bytes, and the xir::Tensor it holds (shape, name, attrs).
#pragma once
#include <cstddef>

#include "xir/tensor/tensor.hpp"

namespace vart {

template <typename T = void>
struct simple_tensor_buffer_t {
  simple_tensor_buffer_t(T* d, std::size_t s, const xir::Tensor* t) : data(d), mem_size(s), tensor(t) {}
  T* data;               // not owned
  std::size_t mem_size;  // bytes
  const xir::Tensor* tensor;
};

}  // namespace vart
