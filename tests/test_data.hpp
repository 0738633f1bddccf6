// Where the shared real data lives (../shared/data, set by CMake as DPU_SHARED_DATA).
#pragma once
#include <filesystem>
#include <string>

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

}  // namespace dputk::test
