// The DPU's rounding for libtorch, in one place: the TorchScript text of the fix neuron for the three
// round modes (module methods fix_dpu / fix_std / fix_py3(self, x, s) = clamp(round(x·s), −128, 127) / s,
// the torch form of dpu/fix_math.hpp). The TorchScript export writes this text into <Graph>_int.pt;
// fast finetune runs the same methods (compiled once here). A test holds them equal to fix_math.hpp.
#pragma once
#include <torch/script.h>

#include "dputk/dpu/fix_math.hpp"

namespace dputk::torch_fix {

const char* source();
const char* method(dpu::RoundMode mode);  // "fix_dpu", "fix_std", "fix_py3"
// Fake quantization of x at fix point fp (no gradient flows through it: fast finetune wraps it in a
// straight-through estimator).
torch::Tensor fix(const torch::Tensor& x, int fp, dpu::RoundMode mode);

}  // namespace dputk::torch_fix
