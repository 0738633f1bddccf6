// Where the shared real data lives (../shared/data, set by CMake as DPU_SHARED_DATA).
#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include "dputk/engine/float_tensor.hpp"
#include "dputk/common/npy.hpp"

namespace dputk::test {

inline std::string data_path(const std::string& rel) { return std::string(DPU_SHARED_DATA) + "/" + rel; }
inline std::string bin_path(const std::string& tool) { return std::string(DPU_BIN_DIR) + "/" + tool; }
// A fresh, empty scratch directory for one test.
inline std::string scratch_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("dputk_test_" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

// The message of the exception fn throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// An NCHW .npy array (reference inputs) as an NHWC engine tensor.
inline engine::FloatTensor nhwc_from_npy(const NpyArray& a) {
  const int n = static_cast<int>(a.shape[0]), c = static_cast<int>(a.shape[1]), h = static_cast<int>(a.shape[2]),
            w = static_cast<int>(a.shape[3]);
  engine::FloatTensor t({n, h, w, c});
  for (int b = 0; b < n; ++b)
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          t.data[((static_cast<std::size_t>(b) * h + y) * w + x) * c + ch] = a.data[((static_cast<std::size_t>(b) * c + ch) * h + y) * w + x];
  return t;
}

}  // namespace dputk::test
