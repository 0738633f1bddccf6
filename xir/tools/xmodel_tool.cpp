// xmodel-tool: look at, round-trip and compare .xmodel files.
//   xmodel-tool dump FILE | roundtrip IN OUT | diff A B
#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <iostream>

#include "xir/graph/graph.hpp"
#include "xir/util/graph_compare.hpp"

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"Inspect, round-trip and compare .xmodel files (Xilinx XIR format).\n"
               "Example: xmodel-tool diff quantize_result/ResNet_int.xmodel copy.xmodel"};
  app.require_subcommand(1);
  std::string file, in, out, a, b;
  auto* dump = app.add_subcommand("dump", "Text dump of ops, attrs, tensors and the subgraph tree");
  dump->add_option("FILE", file, ".xmodel to dump")->required();
  auto* rt = app.add_subcommand("roundtrip", "Read IN and write it to OUT (deterministic bytes)");
  rt->add_option("IN", in)->required();
  rt->add_option("OUT", out)->required();
  auto* diff = app.add_subcommand("diff", "Semantic comparison; exit 1 when the graphs differ");
  diff->add_option("A", a)->required();
  diff->add_option("B", b)->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*dump) {
      auto g = xir::Graph::deserialize(file);
      xir::dump_graph(*g, std::cout);
    } else if (*rt) {
      auto g = xir::Graph::deserialize(in);
      g->serialize(out);
      std::cout << "wrote " << out << " (" << g->get_op_num() << " ops)\n";
    } else if (*diff) {
      auto ga = xir::Graph::deserialize(a);
      auto gb = xir::Graph::deserialize(b);
      auto diffs = xir::compare_graphs(*ga, *gb);
      for (const auto& d : diffs) std::cout << d << "\n";
      if (!diffs.empty()) {
        std::cout << "graphs differ\n";
        return 1;
      }
      std::cout << "graphs are equal (" << ga->get_op_num() << " ops)\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "xmodel-tool: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
