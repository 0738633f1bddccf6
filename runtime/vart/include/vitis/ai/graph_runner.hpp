// vitis::ai::GraphRunner — runs every subgraph of a compiled xmodel in order (Xilinx's
// vitis/ai/graph_runner.hpp): inputs are the graph's inputs (the USER subgraph's data-fix tensors),
// outputs the graph's outputs (fix2float: FLOAT32).
#pragma once
#include <memory>

#include "vart/runner_ext.hpp"
#include "xir/graph/graph.hpp"

namespace vitis::ai {

class GraphRunner {
 public:
  static std::unique_ptr<vart::RunnerExt> create_graph_runner(const xir::Graph* graph, xir::Attrs* attrs);
};

}  // namespace vitis::ai
