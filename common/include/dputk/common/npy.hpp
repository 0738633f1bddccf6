// Reading NumPy .npy files (little-endian float32 / float64 / int64 / uint8, C order), as shipped with
// the reference inputs and logits under ../shared/data.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dputk {

struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<float> data;  // converted to float32
  std::int64_t size() const;
};

// Throws std::runtime_error naming the file for anything it cannot read.
NpyArray read_npy(const std::string& path);

}  // namespace dputk
