// Fast finetune's loss, in one pass over a layer's outputs.
#pragma once
#include <cstdint>

#include "dputk/dpu/fix_math.hpp"
#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::finetune {

// A layer's squared error on n outputs, y its sums before the activation and t the targets:
//   returns Σ (fix(act(y)) − t)²   (in double, in an order that does not depend on the threads)
//   dy[i] = scale · (fix(act(y[i])) − t[i]) · act′(y[i])   when dy is not null (fix's gradient passed
//           straight through; dy may be y itself)
// With scale = 2·w/n this is the gradient of w · mean((fix(act(y)) − t)²): torch's mse_loss over
// fix(act(y)) and its backward, in one pass instead of about ten. act′ is ActivationParams::slope_as,
// fix dpu::fake_quantize_array.
double fixed_output_sse(const float* y, const float* t, std::int64_t n, const engine::ref::ActivationParams& act, const dpu::FixSpec& fix,
                        float* dy, double scale);

}  // namespace dputk::finetune
