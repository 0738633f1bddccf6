// Lowering the quantizer form (float ops + fix ops, as vai_q_pytorch writes *_int.xmodel) to the
// compiled fix-op form vai_c_xir produces: data-fix, const-fix (int8), conv2d-fix / depthwise-
// conv2d-fix with the following activation fused (nonlinear), pool-fix MAX/AVG, eltwise-fix ADD
// (+RELU), concat-fix, reshape-fix, pad-fix, strided_slice-fix, matmul → reshape + 1×1 conv2d-fix,
// and fix2float on every output. Every XINT8 tensor carries fix_point, bit_width, if_signed,
// round_mode. The result is un-partitioned (the compiler adds USER/DPU/CPU subgraphs).
#pragma once
#include <memory>

#include "xir/graph/graph.hpp"

namespace dputk {

// Throws std::runtime_error naming the op when the graph is not in quantizer form or uses an op the
// DPU lowering does not know.
std::unique_ptr<xir::Graph> lower_to_fix_form(const xir::Graph& quantized);

}  // namespace dputk
