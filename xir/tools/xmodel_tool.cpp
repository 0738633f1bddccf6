// xmodel-tool: look at, round-trip and compare .xmodel files.
//   xmodel-tool dump FILE | roundtrip IN OUT | diff A B | set-runner IN OUT LIB
#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <iostream>
#include <map>

#include "xir/graph/graph.hpp"
#include "xir/util/graph_compare.hpp"

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"Inspect, round-trip and compare .xmodel files (Xilinx XIR format).\n"
               "Example: xmodel-tool diff quantize_result/ResNet_int.xmodel copy.xmodel"};
  app.require_subcommand(1);
  std::string file, in, out, a, b, lib;
  auto* dump = app.add_subcommand("dump", "Text dump of ops, attrs, tensors and the subgraph tree");
  dump->add_option("FILE", file, ".xmodel to dump")->required();
  auto* rt = app.add_subcommand("roundtrip", "Read IN and write it to OUT (deterministic bytes)");
  rt->add_option("IN", in)->required();
  rt->add_option("OUT", out)->required();
  auto* diff = app.add_subcommand("diff", "Semantic comparison; exit 1 when the graphs differ");
  diff->add_option("A", a)->required();
  diff->add_option("B", b)->required();
  auto* runner = app.add_subcommand(
      "set-runner", "Copy IN to OUT with every DPU subgraph's runner library (ref/sim/run) set to LIB, e.g.\n"
                    "libvitis_ai_library-cpu_task.so.3 to run the DPU subgraphs in Xilinx's CPU reference (cpu_task)");
  runner->add_option("IN", in)->required();
  runner->add_option("OUT", out)->required();
  runner->add_option("LIB", lib)->required();
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
    } else if (*runner) {
      auto g = xir::Graph::deserialize(in);
      int n = 0;
      for (xir::Subgraph* s : g->get_root_subgraph()->children_topological_sort()) {
        if (!s->has_attr("device") || s->get_attr<std::string>("device") != "DPU") continue;
        s->set_attr<std::map<std::string, std::string>>("runner", {{"ref", lib}, {"sim", lib}, {"run", lib}});
        ++n;
      }
      if (n == 0) throw std::runtime_error(in + ": no DPU subgraph (is it compiled? run dpu-compile or vai_c_xir)");
      g->serialize(out);
      std::cout << "wrote " << out << " (" << n << " DPU subgraph(s) with runner " << lib << ")\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "xmodel-tool: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
