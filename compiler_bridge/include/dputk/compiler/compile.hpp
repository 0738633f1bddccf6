// dpu-compile: the quantized *_int.xmodel → a DPU-deployable xmodel, with vai_c_xir's command line,
// outputs (<net_name>.xmodel, meta.json, md5sum.txt, written atomically) and summary line
// "Total device subgraph number N, DPU subgraph number M".
//  backend vai_c_xir: runs Xilinx's compiler (PATH or $VAI_C_XIR), streams its log, checks its
//                     output and that its DPU subgraphs carry the arch's fingerprint;
//  backend builtin:   lower_to_fix_form + partition_for_dpu (emulation target: no DPU instructions),
//                     plus a partition report (<net_name>_partition.txt / .json);
//  backend auto:      vai_c_xir when installed, else builtin.
#pragma once
#include <string>

namespace dputk::compiler {

struct CompileOptions {
  std::string xmodel;      // -x
  std::string arch;        // -a (arch.json)
  std::string output_dir;  // -o
  std::string net_name;    // -n
  std::string options;     // -e (JSON object; builtin accepts and reports what it ignores)
  std::string backend = "auto";
};

struct CompileResult {
  std::string backend;  // the one that ran
  std::string xmodel_path, meta_path, md5sum_path, md5;
  int device_subgraphs = 0, dpu_subgraphs = 0;
  std::string report_path;  // builtin only
};

// Path of the vai_c_xir executable ($VAI_C_XIR, else PATH), or empty.
std::string find_vai_c_xir();

// Throws std::runtime_error with a message naming the file / the tool's own error.
CompileResult compile_model(const CompileOptions& options);

// Hex MD5 of a file's bytes (md5sum.txt).
std::string md5_of_file(const std::string& path);

}  // namespace dputk::compiler
