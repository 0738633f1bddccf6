// The quantizer form: the prepared float graph with `fix` ops where the DPU keeps int8 tensors
// (spec §2.1): one output fix per quant group (conv/add/pool/matmul, after a following activation),
// a fix on the graph input and on every parameter const; layout ops keep their producer's fix;
// concat inputs share the concat's fix; pad/strided_slice take their input's fix; average pooling is
// written avgpool2d → mul(DPU factor) → fix, as vai_q_pytorch writes it.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xir/graph/graph.hpp"

namespace dputk {

struct FixSlot {
  enum class Kind { INPUT, ACTIVATION, WEIGHTS, BIAS };
  std::string fix_op;   // name of the fix op in the quantized graph
  Kind kind = Kind::ACTIVATION;
  std::string tie;      // when set: this fix always takes that fix op's fix point (no vote of its own)
  std::string source;   // the float-graph op whose value it quantizes (for SQNR reports)
};

struct QuantGraph {
  std::unique_ptr<xir::Graph> graph;
  std::vector<FixSlot> slots;  // in topological order of the fix ops
  const FixSlot* slot(const std::string& fix_op) const;
};

// Throws std::runtime_error naming the op for an op type the quantizer cannot handle.
QuantGraph build_quant_graph(const xir::Graph& prepared);

// The fix op that defines the fix point of op's value: op itself when it is a fix, else the nearest
// fix upstream through layout ops. nullptr when there is none.
const xir::Op* defining_fix(const xir::Op* op);

}  // namespace dputk
