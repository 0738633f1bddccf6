// Fast DPU integer post-processing (vectorizable int32 loops), bit-equal to dpu_arith.hpp for the
// cases they accept; each returns false when its case does not apply and the caller falls back to
// the reference. The tests hold them equal to the reference on real models.
#pragma once
#include <cstdint>
#include <vector>

#include "dputk/dpu/dpu_arith.hpp"

namespace dputk::engine::dpu_fast {

// out[p, c] = conv_output(acc[p, c], bias[c], shift) for pixels p < pixels, channels c < oc.
// Applies to NONE/RELU/RELU6/LEAKYRELU with −1 <= shift_bias <= 20 and 0 <= shift_cut <= 29. The caller guarantees
// |acc| < 2^29 (true whenever the reduction length k_h·k_w·c_in is below 2^15).
bool conv_output(const std::int32_t* acc, const std::int8_t* bias, std::int64_t pixels, int oc, const dpu::ConvShift& shift,
                 std::int8_t* out);

// Two-input eltwise multiply with optional ReLU, as dpu::eltwise_mul_output with f = fa + fb: `a` a
// full [pixels][c] map, `b` the same or (b_per_channel) one value per image and channel, [N, 1, 1, c],
// broadcast over each image's pixels_per_image pixels. Applies to −16 <= f − fo <= 30.
bool eltwise_mul2(const std::int8_t* a, const std::int8_t* b, bool b_per_channel, std::int64_t pixels, int c,
                  std::int64_t pixels_per_image, int f, int fo, bool relu, std::int8_t* out);
// Two-input eltwise add (same shapes) with optional ReLU, as dpu::eltwise_term/eltwise_output.
bool eltwise_add2(const std::int8_t* a, int fa, const std::int8_t* b, int fb, std::int64_t count, int fo, bool relu,
                  std::int8_t* out);

}  // namespace dputk::engine::dpu_fast
