// Partitioning a compiled-form (fix-op) graph for a DPU target, as vai_c_xir lays it out:
//  - every op gets a device: USER (data-fix inputs), DPU (what the target's engines run, within their
//    kernel/stride/pad/channel limits), CPU (everything else, e.g. fix2float, softmax);
//  - upload/download ops at the DPU subgraph boundaries;
//  - root children: one USER subgraph, DPU subgraph(s) (per-layer leaf children), CPU subgraph(s);
//  - DPU subgraphs get the real attrs (device, dpu_name, dpu_fingerprint, runner, reg_id_to_*,
//    workload, children_topological_sort) with int8 weights moved into
//    reg_id_to_parameter_value["REG_0"] at each const's ddr_addr, and every DDR tensor a reg_id,
//    ddr_addr, location and stride.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dputk/compiler/targets.hpp"
#include "xir/graph/graph.hpp"

namespace dputk::compiler {

// Exact DPU forms of data-movement ops no engine has an instruction for, applied before
// partitioning: a strided_slice-fix that subsamples H/W from 0 becomes pool-fix MAX 1×1 with that
// stride; a pad-fix that zero-pads only channels becomes a 1×1 conv2d-fix with one-hot weights
// (fix point 0: y = requantize(x), as pad-fix computes). Returns one line per rewrite.
std::vector<std::string> rewrite_for_dpu(xir::Graph& graph);

// Why `op` (a fix-form op) cannot run on the target's DPU engines; empty when it can.
std::string why_not_on_dpu(const xir::Op& op, const EngineLimits& limits);
// What to change so that an op why_not_on_dpu refuses could run on the DPU (empty: nothing to say).
std::string dpu_hint(const xir::Op& op);

struct OpPlacement {
  std::string name, type, device, subgraph, reason;  // reason: only for CPU ops
};

struct SubgraphSummary {
  std::string name, device;
  int ops = 0;
};

struct PartitionReport {
  std::string target;
  std::uint64_t fingerprint = 0;
  std::vector<SubgraphSummary> subgraphs;  // root children in topological order
  std::vector<OpPlacement> ops;            // every op, topological order
  int device_subgraphs() const { return static_cast<int>(subgraphs.size()); }
  int dpu_subgraphs() const;
  std::string text() const;
  nlohmann::json json() const;
};

// Partitions `graph` (un-partitioned fix-op form, as lower_to_fix_form makes it) in place.
// Throws std::runtime_error naming the op when the graph is not in that form.
PartitionReport partition_for_dpu(xir::Graph& graph, const DpuTarget& target);

}  // namespace dputk::compiler
