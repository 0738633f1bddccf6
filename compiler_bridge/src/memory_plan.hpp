// DDR layout and attrs of one DPU subgraph (internal to the partitioner):
//  REG_0 CONST      int8 weights and biases, each at a 4 KiB-aligned ddr_addr (bias, then weights,
//                   layer by layer, as vai_c_xir lays them out), bytes in reg_id_to_parameter_value;
//  REG_1 WORKSPACE  intermediate feature maps, reused once dead (first fit);
//  REG_2 INTERFACE  the subgraph's inputs (upload outputs);
//  REG_3 INTERFACE  its outputs (download inputs).
// reshape-fix outputs with their input's fix point share its storage. Every DDR tensor gets
// reg_id, ddr_addr, location 1 and NHWC element strides.
#pragma once
#include "dputk/compiler/targets.hpp"
#include "xir/graph/subgraph.hpp"

namespace dputk::compiler {

void plan_dpu_subgraph(xir::Subgraph& dpu, const DpuTarget& target);

// vai_c_xir's `workload` of an op (2 ops per MAC plus one per output for the bias, e.g.
// conv2d-fix: out·(2·kh·kw·ic/group + 1)); 0 for data movement.
std::uint64_t op_workload(const xir::Op& op);

}  // namespace dputk::compiler
