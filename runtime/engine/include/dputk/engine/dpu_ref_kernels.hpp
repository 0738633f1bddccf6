// Reference integer kernels of the DPU ops (NHWC int8), plain loops over dpu_arith.hpp. The fast
// kernels are held bit-equal to these by the tests.
#pragma once
#include <cstdint>
#include <vector>

#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::dpu_ref {

// weights OHWI int8 (depthwise: [multiplier, KH, KW, C]); bias int8 per output channel or null.
void conv2d(const std::int8_t* in, const std::int8_t* weights, const std::int8_t* bias, std::int8_t* out,
            const ref::Window2d& g, bool depthwise, const dpu::ConvShift& shift);
// Exact integer accumulators only (what oneDNN computes for the fast path); out [N,OH,OW,OC] int32.
void conv2d_acc(const std::int8_t* in, const std::int8_t* weights, std::int32_t* acc, const ref::Window2d& g, bool depthwise);
void maxpool(const std::int8_t* in, std::int8_t* out, const ref::Window2d& g, int fi, int fo);
void avgpool(const std::int8_t* in, std::int8_t* out, const ref::Window2d& g, int fi, int fo);
// All inputs have the output's shape.
void eltwise_add(const std::vector<const std::int8_t*>& ins, const std::vector<int>& fix_points, std::int64_t count,
                 std::int8_t* out, int fo, bool relu);

}  // namespace dputk::engine::dpu_ref
