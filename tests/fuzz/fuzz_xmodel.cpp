// libFuzzer target: the .xmodel reader (protobuf parse, graph reconstruction, subgraph tree, attrs), and
// for graphs it accepts, the writer and a second read. Malformed input must end in std::exception.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "xir/graph/graph.hpp"

// protobuf's parse warnings (invalid UTF-8 ...) would flood the log at thousands of runs a second.
static const bool kQuiet = (google::protobuf::SetLogHandler(nullptr), true);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto g = xir::Graph::deserialize_from_string(std::string(reinterpret_cast<const char*>(data), size));
    for (const auto* op : g->topological_sort()) (void)op->get_output_tensor()->get_element_num();
    for (const auto* sg : g->get_root_subgraph()->children_topological_sort()) (void)sg->get_name();
    std::string bytes;
    g->serialize_to_string(&bytes);
    (void)xir::Graph::deserialize_from_string(bytes);
  } catch (const std::exception&) {
  }
  return 0;
}
