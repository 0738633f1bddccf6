// The builtin backend: quantizer form → fix-op form → partitioned for the target, for emulation.
#include "backends.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/compiler/partition.hpp"
#include "dputk/compiler/targets.hpp"
#include "dputk/compiler/lower.hpp"

#include <glog/logging.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <stdexcept>

namespace dputk::compiler {

namespace {

bool has_op_type(const xir::Graph& g, const std::string& type) {
  for (const xir::Op* op : g.get_ops())
    if (op->get_type() == type) return true;
  return false;
}

void check_options(const std::string& options) {
  if (options.empty()) return;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(options);
  } catch (const std::exception& e) {
    throw std::runtime_error("-e/--options '" + options + "' is not JSON: " + e.what());
  }
  if (!j.is_object()) throw std::runtime_error("-e/--options '" + options + "' must be a JSON object");
  for (const auto& [key, value] : j.items())
    LOG(WARNING) << "option '" << key << "' = " << value.dump() << " is ignored by the builtin backend";
}

}  // namespace

CompileResult compile_builtin(const CompileOptions& o) {
  const DpuTarget& target = load_arch_json(o.arch);
  check_options(o.options);
  auto graph = xir::Graph::deserialize(o.xmodel);
  LOG(INFO) << "Compile mode: dpu (builtin backend: emulation target, no DPU instructions)";
  LOG(INFO) << "Target architecture: " << target.name << " (fingerprint " << fingerprint_hex(target.fingerprint) << ")";
  LOG(INFO) << "Graph name: " << graph->get_name() << ", with op num: " << graph->get_op_num();
  LOG(INFO) << "Begin to compile...";
  if (!graph->get_root_subgraph()->is_leaf())
    throw std::runtime_error(o.xmodel + ": the graph is already partitioned (a compiled xmodel); give the quantized *_int.xmodel");
  std::unique_ptr<xir::Graph> fixed;
  try {
    fixed = has_op_type(*graph, "fix") ? lower_to_fix_form(*graph) : std::move(graph);
    if (!has_op_type(*fixed, "data-fix")) throw std::runtime_error("no input (data-fix or data + fix) found: not a quantized model");
    for (const std::string& line : rewrite_for_dpu(*fixed)) LOG(INFO) << "DPU form: " << line;
    const PartitionReport report = partition_for_dpu(*fixed, target);
    std::filesystem::create_directories(o.output_dir);
    const std::string dir = std::filesystem::path(o.output_dir).string();
    CompileResult r;
    r.backend = "builtin";
    r.device_subgraphs = report.device_subgraphs();
    r.dpu_subgraphs = report.dpu_subgraphs();
    LOG(INFO) << "Total device subgraph number " << r.device_subgraphs << ", DPU subgraph number " << r.dpu_subgraphs;
    fixed->set_attr<std::map<std::string, std::string>>(
        "files_md5sum", {{std::filesystem::absolute(o.xmodel).string(), md5_of_file(o.xmodel)}});
    fixed->set_attr<std::map<std::string, std::string>>("libs_info", {{"dpu-toolkit", DPUTK_VERSION}});
    r.xmodel_path = dir + "/" + o.net_name + ".xmodel";
    fixed->serialize(r.xmodel_path);
    nlohmann::json meta{{"lib", "libvart-dpu-runner.so"}, {"filename", o.net_name + ".xmodel"}, {"kernel", nlohmann::json::array()},
                        {"target", target.name}};
    for (const auto& sg : report.subgraphs)
      if (sg.device == "DPU") meta["kernel"].push_back(sg.name);
    r.meta_path = dir + "/meta.json";
    write_file_atomic(r.meta_path, meta.dump(4) + "\n");
    r.md5 = md5_of_file(r.xmodel_path);
    r.md5sum_path = dir + "/md5sum.txt";
    write_file_atomic(r.md5sum_path, r.md5 + "\n");
    r.report_path = dir + "/" + o.net_name + "_partition.txt";
    write_file_atomic(r.report_path, report.text());
    write_file_atomic(dir + "/" + o.net_name + "_partition.json", report.json().dump(2) + "\n");
    return r;
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(o.xmodel + ": " + e.what());
  }
}

}  // namespace dputk::compiler
