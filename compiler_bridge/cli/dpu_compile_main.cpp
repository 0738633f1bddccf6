// dpu-compile: vai_c_xir's command line; runs vai_c_xir when installed, else the builtin compile.
#include "dputk/compiler/compile.hpp"
#include "dputk/compiler/targets.hpp"

#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <iostream>

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  dputk::compiler::CompileOptions o;
  CLI::App app{"Compile a quantized *_int.xmodel for the DPU (vai_c_xir-compatible flags).\n"
               "Example: dpu-compile -x quantize_result/ResNet_int.xmodel -a board/kv260/arch.json -o resnet50_kv260 -n resnet50\n"
               "Known targets (arch.json {\"target\": NAME} or {\"fingerprint\": \"0x...\"}):\n" +
               dputk::compiler::known_targets_text()};
  app.add_option("-x,--xmodel", o.xmodel, "quantized xmodel (*_int.xmodel)")->required();
  app.add_option("-a,--arch", o.arch, "arch.json of the board's DPU")->required();
  app.add_option("-o,--output_dir", o.output_dir, "output directory")->required();
  app.add_option("-n,--net_name", o.net_name, "name of the compiled model (<net_name>.xmodel)")->required();
  app.add_option("-e,--options", o.options, "extra compiler options, a JSON object");
  app.add_option("--backend", o.backend, "auto (vai_c_xir when installed), vai_c_xir or builtin")
      ->check(CLI::IsMember({"auto", "vai_c_xir", "builtin"}));
  CLI11_PARSE(app, argc, argv);
  try {
    const auto r = dputk::compiler::compile_model(o);
    std::cout << "Backend: " << r.backend << "\n"
              << "Total device subgraph number " << r.device_subgraphs << ", DPU subgraph number " << r.dpu_subgraphs << "\n"
              << "Compile done.\n"
              << "The meta json is saved to \"" << r.meta_path << "\"\n"
              << "The compiled xmodel is saved to \"" << r.xmodel_path << "\"\n"
              << "The compiled xmodel's md5sum is " << r.md5 << ", and has been saved to \"" << r.md5sum_path << "\"\n";
    if (!r.report_path.empty()) std::cout << "The partition report is saved to \"" << r.report_path << "\"\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dpu-compile: error: " << e.what() << "\n";
    return 1;
  }
}
