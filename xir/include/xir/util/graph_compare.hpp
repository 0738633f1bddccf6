// Not part of Xilinx XIR: semantic comparison and a readable text dump of a graph. Used by
// `xmodel-tool diff|dump` and by the round-trip tests.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "xir/graph/graph.hpp"

namespace xir {

// Differences between two graphs: graph name and attrs, ops (type, attrs, input args), output
// tensors (name, shape, type, attrs) and the subgraph tree (names, attrs, ops, children order).
// Empty when the graphs are semantically equal. At most max_diffs entries.
std::vector<std::string> compare_graphs(const Graph& a, const Graph& b, std::size_t max_diffs = 50);

// Ops in topological order with attrs, inputs and tensors, then the subgraph tree.
void dump_graph(const Graph& graph, std::ostream& os);

}  // namespace xir
