// A dense float32 tensor (row-major; feature maps NHWC) as the float engine passes them around.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dputk::engine {

struct FloatTensor {
  std::vector<std::int32_t> shape;
  std::vector<float> data;

  FloatTensor() = default;
  explicit FloatTensor(std::vector<std::int32_t> s) : shape(std::move(s)), data(static_cast<std::size_t>(numel())) {}
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

std::string shape_to_string(const std::vector<std::int32_t>& shape);

// Checks a run-time input against the graph's input op: same rank, same dims except the batch (dim 0,
// which must equal `batch`), data size matching the shape. Throws std::invalid_argument naming the op.
void check_input_shape(const std::string& op_name, const std::vector<std::int32_t>& want, const std::vector<std::int32_t>& got,
                       std::size_t data_size, std::int32_t batch);

}  // namespace dputk::engine
