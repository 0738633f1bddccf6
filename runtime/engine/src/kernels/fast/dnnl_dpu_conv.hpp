// A whole DPU conv2d-fix / depthwise-conv2d-fix in one oneDNN int8 primitive (u8 activations × s8
// weights → s8), used only where that is provably bit-exact with the DPU's arithmetic:
//
//   DPU:    y = sat8(floor((acc + B) / 2^s + 1/2)),  B = b·2^shift_bias,  s = shift_cut
//   oneDNN: y = sat8(RNE(2^-s · (acc + β))),         β = B + 1/4   (oneDNN 2.x adds the bias before
//                                                                    scaling; RNE = round half to even)
// (acc + B)/2^s is a multiple of 2^-(s+1) (B is a multiple of 1/2 when shift_bias >= -1), so adding
// 2^-(s+2) never creates a tie and RNE then equals DPU_ROUND. f32 holds every value exactly while
// |acc + β| < 2^22; with 1 <= s <= 14 every unsaturated output lies inside that range, and with
// |B| <= 2^20 anything beyond it saturates either way. Activations known non-negative (the producer
// ends in ReLU) are read as u8 (same bytes); signed ones as s8, for which oneDNN's VNNI kernels add
// 128 and subtract a 128·Σw compensation — exact only when that happens in int32.
// Probes at first use check the bias order, the rounding and the s8 compensation of the installed
// oneDNN; where they disagree, create() declines and the exact s32 path runs instead.
#pragma once
#include <cstdint>
#include <memory>

#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::fast {

class DnnlDpuConv {
 public:
  // nullptr when the layer lies outside the exact domain described above.
  static std::unique_ptr<DnnlDpuConv> create(const ref::Window2d& g, bool depthwise, const std::int8_t* weights,
                                             const std::int8_t* bias, const dpu::ConvShift& shift, bool non_negative_input);
  ~DnnlDpuConv();
  void run(const std::int8_t* in, std::int8_t* out, int batch);

 private:
  struct Impl;
  explicit DnnlDpuConv(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Whether the installed oneDNN adds the bias before the output scale and rounds half to even (the
// assumptions above), checked once on a small convolution.
bool dnnl_dpu_conv_probe();
// Whether s8 activations are exact too (int32 compensation), checked once with Σw beyond f32 precision.
bool dnnl_dpu_conv_signed_probe();

}  // namespace dputk::engine::fast
