// A fix op's number format from its XIR attributes (fix_point, bit_width, if_signed, round_mode):
// one reading for the engine's fix kernels and the quantizer's own passes over a calibrated graph.
#pragma once
#include "dputk/dpu/fix_math.hpp"
#include "xir/op/op.hpp"

namespace dputk::dpu {

// The op's round_mode attribute, or `fallback` when it has none; an unknown mode is an op error.
RoundMode round_mode_of(const xir::Op& op, const char* fallback);
// fix_point (required), bit_width (8), if_signed (true), round_mode (required).
FixSpec fix_spec_of(const xir::Op& fix);

}  // namespace dputk::dpu
