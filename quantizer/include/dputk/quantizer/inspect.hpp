// What vai_q's Inspector does, before any calibration: for every node of an ONNX model, whether it will
// run on the DPU of a target, as which DPU op, or why not (engine limit, op type, attribute) with a
// hint; the subgraph count the compile will give; the share of MACs on the DPU.
#pragma once
#include "dputk/quantizer/prepare.hpp"
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dputk/compiler/targets.hpp"

namespace dputk {

struct NodeInspection {
  std::string name, type;  // the ONNX node (named by its first output, as the importer names XIR ops)
  std::string device;      // DPU, CPU, or "-" (folded / fused into another node's DPU op)
  std::string dpu_op;      // the compiled op that runs it (conv2d-fix, pool-fix, ...) or the CPU op
  std::string reason, hint;
  std::uint64_t macs = 0;
};

struct Inspection {
  std::string model, target, fingerprint;
  int device_subgraphs = 0, dpu_subgraphs = 0;
  std::uint64_t macs_total = 0, macs_dpu = 0;
  std::vector<NodeInspection> nodes;  // ONNX order
  std::vector<std::string> notes;     // preparation steps (BatchNorm folding, ...)
  double dpu_mac_share() const { return macs_total ? static_cast<double>(macs_dpu) / static_cast<double>(macs_total) : 0.0; }
  std::string text() const;
  nlohmann::json json() const;
};

// Imports, prepares and lowers the model as calib + dpu-compile would (fix points do not change where
// ops run), partitions it for the target. An op type the importer or the quantizer does not know is
// inspected as a CPU op. Throws std::runtime_error naming the file and the problem.
// `prepare`: the preparation the quantizer would apply (its config file's keys), defaults otherwise.
Inspection inspect_model(const std::string& onnx_path, const compiler::DpuTarget& target, const PrepareOptions& prepare = {});

}  // namespace dputk
