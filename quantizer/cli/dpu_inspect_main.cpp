// dpu-inspect: where each node of an ONNX model will run on a DPU target, before calibration.
#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <iostream>

#include "dputk/common/atomic_file.hpp"
#include "dputk/common/memory.hpp"
#include "dputk/compiler/targets.hpp"
#include "dputk/engine/op_plugins.hpp"
#include "dputk/quantizer/inspect.hpp"
#include "dputk/quantizer/quant_config.hpp"

int main(int argc, char** argv) {
  dputk::rerun_with_huge_page_malloc(argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = 1;
  CLI::App app{"Inspect an ONNX model for a DPU target before any calibration: per node, whether it runs on the DPU and\n"
               "as which DPU op, or why not (engine limit, op type, attribute) with a hint; the subgraph count; the share\n"
               "of MACs on the DPU.\n"
               "Example: dpu-inspect resnet50.onnx -a board/kv260/arch.json --json inspect.json"};
  std::string model, arch, json_path;
  app.add_option("model", model, "ONNX model")->required();
  app.add_option("-a,--arch", arch, "the board's arch.json (fingerprint), as for dpu-compile / vai_c_xir")->required();
  app.add_option("--json", json_path, "also write the inspection as JSON to this file");
  std::string config;
  app.add_option("--config_file", config, "the quantization config the model will be quantized with (its preparation keys apply)");
  CLI11_PARSE(app, argc, argv);
  try {
    const auto& target = dputk::compiler::load_arch_json(arch);
    dputk::PrepareOptions prepare;
    if (!config.empty()) prepare = dputk::prepare_options_of(dputk::load_quant_config(config));
    const dputk::Inspection r = dputk::inspect_model(model, target, prepare);
    std::cout << r.text();
    if (!json_path.empty()) dputk::write_file_atomic(json_path, r.json().dump(2) + "\n");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dpu-inspect: error: " << e.what() << "\n";
    return 1;
  }
}
