// libFuzzer target: the ONNX importer (protobuf parse, op conversion, shape inference to XIR).
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "dputk/onnx/onnx_import.hpp"

// protobuf's parse warnings (invalid UTF-8 ...) would flood the log at thousands of runs a second.
static const bool kQuiet = (google::protobuf::SetLogHandler(nullptr), true);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto g = dputk::import_onnx_from_string(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    (void)g->topological_sort();
  } catch (const std::exception&) {
  }
  return 0;
}
