// The quantization pipeline as library calls (dpu-quantize is a thin CLI over these):
// ONNX → prepared float graph → calibrated quantizer form → (lowered) DPU integer evaluation.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dputk/quantizer/bias_correction.hpp"
#include "dputk/quantizer/channel_stats.hpp"
#include "dputk/quantizer/calibrate.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/prepare.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

std::unique_ptr<xir::Graph> load_prepared_model(const std::string& onnx_path, const PrepareOptions& options,
                                                std::vector<std::string>* log = nullptr, bool quiet = false);

// Calibrates a quantizer form of `prepared` on the given images (with progress).
QuantGraph calibrate_model(const xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& indices,
                           const Preprocess& preprocess, int batch_size, const CalibOptions& options,
                           std::vector<std::string>* warnings = nullptr, bool quiet = false);

// CalibOptions::input_energy from statistics of `prepared`: each depthwise convolution's input channels'
// E[x²], with `pointwise` each 1×1 dense convolution's too. Depthwise weights are where one channel's
// range sets the tensor's (per-tensor scales over channels of very different signal). On dense
// convolutions the diagonal weighting ignores how input channels combine: measured worse on 3×3 ones
// (CIFAR ResNet32: −0.69 pp against −0.32 pp with the diffs search), on 1×1 ones better or worse by
// network (DeepLabV3 MobileNetV2 0.5 output +1.0 dB; MobileNetV1 / V2 classifiers −0.75 pp), so the
// quantizer decides that by trial (see auto_choice.hpp).
std::map<std::string, std::vector<double>> input_energies(const xir::Graph& prepared, const ChannelStats& stats, bool pointwise);
// A dense (group 1) convolution with a 1×1 kernel.
bool is_pointwise_conv(const xir::Op& op);

// Classifier adapters for evaluate(): float graphs (float or fake-quant) and the DPU integer form.
Classifier float_classifier(engine::FloatExecutor& exec);
Classifier dpu_classifier(engine::DpuExecutor& exec);

// Signal-to-quantization-noise ratio of every quantized tensor of the lowered graph against the float
// graph's value it stands for, on one batch; sorted worst first.
struct LayerSqnr {
  std::string op;
  std::string source;  // the float op it stands for
  double sqnr_db = 0.0;
  int fix_point = 0;
};
std::vector<LayerSqnr> layer_sqnr(const xir::Graph& float_graph, const xir::Graph& lowered, engine::DpuExecutor& dpu,
                                  const engine::FloatTensor& batch);

}  // namespace dputk
