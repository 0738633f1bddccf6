// The quantization pipeline as library calls (dpu-quantize is a thin CLI over these):
// ONNX → prepared float graph → calibrated quantizer form → (lowered) DPU integer evaluation.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dputk/quantizer/bias_correction.hpp"
#include "dputk/quantizer/calibrate.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/prepare.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

std::unique_ptr<xir::Graph> load_prepared_model(const std::string& onnx_path, const PrepareOptions& options,
                                                std::vector<std::string>* log = nullptr);

// Calibrates a quantizer form of `prepared` on the given images (with progress). With
// `bias_correction`, the same pass also gathers the bias-correction statistics; apply them with
// (*bias_correction)->apply(prepared) once the weights are final.
QuantGraph calibrate_model(const xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& indices,
                           const Preprocess& preprocess, int batch_size, const CalibOptions& options,
                           std::vector<std::string>* warnings = nullptr,
                           std::unique_ptr<BiasCorrection>* bias_correction = nullptr);

// Classifier adapters for evaluate(): float graphs (float or fake-quant) and the DPU integer form.
Classifier float_classifier(engine::FloatExecutor& exec);
Classifier dpu_classifier(engine::DpuExecutor& exec);

// Signal-to-quantization-noise ratio of every quantized tensor of the lowered graph against the float
// graph's value it stands for, on one batch; sorted worst first.
struct LayerSqnr {
  std::string op;
  double sqnr_db = 0.0;
  int fix_point = 0;
};
std::vector<LayerSqnr> layer_sqnr(const xir::Graph& float_graph, const xir::Graph& lowered, engine::DpuExecutor& dpu,
                                  const engine::FloatTensor& batch);

}  // namespace dputk
