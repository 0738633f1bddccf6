#include "dputk/quantizer/inspect.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "dputk/common/atomic_file.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/compiler/partition.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/op_registry.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "dputk/quantizer/calibrate.hpp"
#include "dputk/quantizer/prepare.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

namespace {

using IV = std::vector<std::int32_t>;

std::uint64_t macs_of(const xir::Op& op) {
  const std::string& t = op.get_type();
  if (t != "conv2d-fix" && t != "depthwise-conv2d-fix") return 0;
  const IV& out = op.get_output_tensor()->get_shape();
  const IV k = op.get_attr<IV>("kernel");
  std::uint64_t per_output = static_cast<std::uint64_t>(k[0]) * static_cast<std::uint64_t>(k[1]);
  if (t == "conv2d-fix")
    per_output *= static_cast<std::uint64_t>(op.get_input_tensor("weights")->get_shape().back());  // OHWI: I = in_channels / group
  std::uint64_t outputs = 1;
  for (std::size_t d = 1; d < out.size(); ++d) outputs *= static_cast<std::uint64_t>(out[d]);
  return outputs * per_output;
}

std::string nonlinear_text(const xir::Op& op) {
  const std::string nl = op.get_attr_or<std::string>("nonlinear", "");
  return nl.empty() || nl == "NONE" ? "" : " (nonlinear " + nl + ")";
}

}  // namespace

Inspection inspect_model(const std::string& onnx_path, const compiler::DpuTarget& target, const PrepareOptions& prepare) {
  Inspection r;
  r.model = onnx_path;
  r.target = target.name;
  r.fingerprint = compiler::fingerprint_hex(target.fingerprint);
  // Every op type the importer does not know becomes a (CPU) custom op, so that the whole model is
  // inspected.
  OnnxImportOptions io;
  std::set<std::string> unknown_types;
  io.custom_op = [&](const std::string& type) {
    unknown_types.insert(type);
    dpu::declare_cpu_float_op(type);
    return true;
  };
  auto graph = import_onnx(onnx_path, io);
  try {
    r.notes = prepare_graph(*graph, prepare);
  } catch (const std::exception& e) {
    throw std::runtime_error(onnx_path + ": " + e.what());
  }
  QuantGraph q = build_quant_graph(*graph);  // float ops with no DPU form stay float for the CPU there
  // Placement does not depend on fix points; parameters take the quantizer's maxmin choice (so that
  // they fit int8), activations any the calibration could choose (a hard-sigmoid's at least 7).
  for (xir::Op* op : q.graph->topological_sort()) {
    if (op->get_type() != "fix") continue;
    const xir::Op* src = op->get_input_op("input");
    int fp = src ? std::max(4, dpu::op_traits(src->get_type()).min_output_fix_point) : 4;
    if (src && src->get_type() == "const") {
      const auto values = engine::decode_const(*src).data;
      fp = diffs_fix_point(values.data(), static_cast<std::int64_t>(values.size()), 1, dpu::RoundMode::STD_ROUND);
    }
    op->set_attr<std::int32_t>("fix_point", fp);
  }
  auto fixed = lower_to_fix_form(*q.graph);
  compiler::rewrite_for_dpu(*fixed);
  const compiler::PartitionReport report = compiler::partition_for_dpu(*fixed, target);
  r.device_subgraphs = report.device_subgraphs();
  r.dpu_subgraphs = report.dpu_subgraphs();

  // Compiled ops by the float op they lower (the one doing the most MACs: a fully connected layer's
  // 1×1 conv, not its reshapes), by name (CPU ops), and by the float value they compute (a fused
  // activation).
  std::map<std::string, const compiler::OpPlacement*> placement;
  for (const auto& p : report.ops) placement[p.name] = &p;
  std::map<std::string, const xir::Op*> by_group, by_name, by_source;
  for (const xir::Op* op : fixed->topological_sort()) {
    by_name[op->get_name()] = op;
    if (op->has_attr("__group")) {
      const xir::Op*& g = by_group[op->get_attr<std::string>("__group")];
      if (!g || macs_of(*op) >= macs_of(*g)) g = op;
    }
    if (op->has_attr("__float_source")) by_source[op->get_attr<std::string>("__float_source")] = op;
    const std::uint64_t m = macs_of(*op);
    r.macs_total += m;
    if (placement.count(op->get_name()) && placement.at(op->get_name())->device == "DPU") r.macs_dpu += m;
  }
  onnx::ModelProto model;
  if (!model.ParseFromString(read_file(onnx_path))) throw std::runtime_error(onnx_path + ": not a valid ONNX model");
  for (const auto& node : model.graph().node()) {
    if (node.output_size() == 0) continue;
    NodeInspection n;
    n.name = node.output(0);
    n.type = node.op_type();
    const xir::Op* op = by_group.count(n.name) ? by_group.at(n.name) : by_name.count(n.name) ? by_name.at(n.name) : nullptr;
    std::string fused_into;  // an activation computed by the op of another node's group
    if (!op && by_source.count(n.name)) {
      op = by_source.at(n.name);
      fused_into = op->get_attr_or<std::string>("__group", op->get_name());
      if (by_group.count(fused_into)) op = by_group.at(fused_into);
    }
    const bool fused = !fused_into.empty();
    if (!op) {
      n.device = "-";
      n.reason = n.type == "BatchNormalization" ? "folded into the convolution before it"
                                                 : "no op of its own after preparation (folded, fused or shape-only)";
    } else {
      const compiler::OpPlacement* p = placement.count(op->get_name()) ? placement.at(op->get_name()) : nullptr;
      n.device = p ? p->device : "?";
      n.dpu_op = op->get_type() + nonlinear_text(*op) + (fused ? " of " + fused_into : "");
      n.macs = fused ? 0 : macs_of(*op);
      if (p && p->device == "CPU") {
        n.reason = unknown_types.count(n.type) ? "op type " + n.type + " has no DPU form (not an ONNX op the toolkit converts)" : p->reason;
        n.hint = compiler::dpu_hint(*op);
      }
    }
    r.nodes.push_back(n);
  }
  return r;
}

std::string Inspection::text() const {
  std::string s = "Inspection of " + model + " for " + target + " (fingerprint " + fingerprint + ")\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-36s %-20s %-6s %s\n", "node", "type", "device", "DPU op / why not");
  s += line;
  for (const auto& n : nodes) {
    std::string what = n.device == "CPU" ? n.reason : (n.device == "-" ? n.reason : n.dpu_op);
    if (!n.hint.empty()) what += " — hint: " + n.hint;
    std::snprintf(line, sizeof line, "%-36s %-20s %-6s ", n.name.substr(0, 36).c_str(), n.type.substr(0, 20).c_str(), n.device.c_str());
    s += line + what + "\n";
  }
  std::snprintf(line, sizeof line, "\nTotal device subgraph number %d, DPU subgraph number %d\nMACs on the DPU: %.2f%% (%.3f of %.3f GMAC)\n",
                device_subgraphs, dpu_subgraphs, 100.0 * dpu_mac_share(), static_cast<double>(macs_dpu) / 1e9,
                static_cast<double>(macs_total) / 1e9);
  s += line;
  return s;
}

nlohmann::json Inspection::json() const {
  nlohmann::json j{{"model", model},
                   {"target", target},
                   {"fingerprint", fingerprint},
                   {"device_subgraph_number", device_subgraphs},
                   {"dpu_subgraph_number", dpu_subgraphs},
                   {"macs_total", macs_total},
                   {"macs_dpu", macs_dpu},
                   {"dpu_mac_share", dpu_mac_share()},
                   {"preparation", notes}};
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : nodes) {
    nlohmann::json o{{"name", n.name}, {"type", n.type}, {"device", n.device}, {"macs", n.macs}};
    if (!n.dpu_op.empty()) o["dpu_op"] = n.dpu_op;
    if (!n.reason.empty()) o["reason"] = n.reason;
    if (!n.hint.empty()) o["hint"] = n.hint;
    j["nodes"].push_back(o);
  }
  return j;
}

}  // namespace dputk
