// Weight rounding that minds the layer's inputs (GPTQ: Frantar, Ashkboos, Hoefler, Alistarh 2022,
// "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers", after Optimal
// Brain Quantization): each weight row is put on its (per-tensor, power-of-two) grid one input at a
// time, and the rounding error of each weight is carried over to the row's weights not yet rounded
// along H⁻¹, where H = Σ x xᵀ over the layer's input patches x on the calibration images — so what is
// minimised is the layer's output error ‖(W − Q)·X‖², not each weight's own |w − q|.
//
// On the DPU's grids a channel often uses only a few of its 255 steps (one large channel sets the
// tensor's fix point), so plain rounding costs a convolution ~3–4 bits of its outputs; compensation
// along correlated inputs takes much of that back. Deterministic (fixed order, double precision);
// the result is int8 weights at the calibrated fix points, as any other.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/dpu/fix_math.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

// The rounding of one weight matrix W [rows][k] (row-major, float weights off grid) on `grid`, given
// H [k][k] (Σ x xᵀ; changed: dead inputs and damping). Writes the on-grid values to `out` [rows][k].
// An input never seen (H_ii = 0) is rounded to nearest and compensates nothing.
void hessian_round(std::vector<double> h, std::size_t k, const float* w, std::size_t rows, const dpu::FixSpec& grid, float* out);

// Layers with larger patches keep rounding to nearest (H is k x k, its factors cost k³): ResNet50's
// 1024-input 1×1 and 3×3 layers of 128 channels and more. With them its trial took 1501 MB (peak) and
// the rounding 18 s on 200 images; MobileNetV2's 960-input 1×1 layers gain nothing measurable (output
// SQNR on 400 held-out images 14.86 dB with them, 14.90 dB without).
constexpr std::size_t kMaxHessianInputs = 576;
// H of a layer is summed over all its output positions when that costs at most kHessianMacs
// multiply-adds (k² per position), else over an even draw of them, at least kHessianSamples: ResNet50's
// first 3×3 layers have 600 000 positions on 200 images, each a 576-long patch.
constexpr std::size_t kHessianMacs = std::size_t{1} << 31;
constexpr std::size_t kHessianSamples = 32768;

struct HessianRoundingResult {
  int layers = 0;           // weight tensors rounded this way
  double seconds = 0.0;
};

// Rounds the weights of qg's convolutions (calibrated: fix points decided) against their float values
// in `prepared` (the graph qg was built from), with H measured on the quantized network's inputs to
// each layer over `indices`. Layers whose patch has more than `max_inputs` values keep plain rounding
// (the cost grows as k² per position and k³ per layer).
HessianRoundingResult round_weights_by_hessian(QuantGraph& qg, const xir::Graph& prepared, const Dataset& data,
                                               const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                                               int batch_size, std::size_t max_inputs, bool quiet = false);

}  // namespace dputk
