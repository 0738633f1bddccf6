// The window geometry of an XIR conv/pool op (float or fix form): kernel/stride/dilation {w,h},
// pad {left,right,top,bottom} resolved against pad_mode, global pooling, group/multiplier.
#pragma once
#include <vector>

#include "dputk/engine/float_ref_kernels.hpp"
#include "xir/op/op.hpp"

namespace dputk::engine {

// in/out: NHWC shapes of the op's feature-map input and output (n is left at 1). Conv weights shape
// sets group (conv2d) or multiplier (depthwise) when given. Throws std::runtime_error naming the op.
ref::Window2d window_of(const xir::Op& op, const std::vector<std::int32_t>& in, const std::vector<std::int32_t>& out,
                        const std::vector<std::int32_t>& weights_shape = {});

}  // namespace dputk::engine
