// Shared oneDNN helpers: the process-wide CPU engine and XIR weight layouts as oneDNN descriptors.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::fast {

dnnl::engine& cpu_engine();

// XIR conv weights (OHWI, or depthwise [multiplier, KH, KW, C]) as a oneDNN weights descriptor
// (grouped dims {G, OC/G, IC/G, KH, KW} when g.group > 1 or depthwise).
dnnl::memory::desc xir_weights_md(const ref::Window2d& g, bool depthwise, dnnl::memory::data_type type);

// A float convolution's epilogue as oneDNN post-ops: the residual add (out holds the addend), then
// the activation.
dnnl::post_ops conv_post_ops(const ref::ActivationParams& act, bool accumulate);

// Padding on the bottom/right implied by the output size.
inline dnnl::memory::dims padding_r(const ref::Window2d& g) {
  return {(g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.h - g.pad_top, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.w - g.pad_left};
}

}  // namespace dputk::engine::fast
