// The DPU's rounding for libtorch, in one place: the TorchScript text of the fix neuron for the three
// round modes (module methods fix_dpu / fix_std / fix_py3(self, x, s) = clamp(round(x·s), −128, 127) / s,
// the torch form of dpu/fix_math.hpp). The TorchScript export writes this text into <Graph>_int.pt; a
// test runs the methods (fix below) and holds them equal to fix_math.hpp. Fast finetune computes with
// fix_math.hpp's kernels directly (one pass).
#pragma once
#include <torch/script.h>

#include "dputk/dpu/fix_math.hpp"

namespace dputk::torch_fix {

const char* source();
const char* method(dpu::RoundMode mode);  // "fix_dpu", "fix_std", "fix_py3"
// Fake quantization of x at fix point fp by the methods above (compiled once; no gradient).
torch::Tensor fix(const torch::Tensor& x, int fp, dpu::RoundMode mode);

}  // namespace dputk::torch_fix
