// The quantization report: quantize_result/quant_report.html, one self-contained file (inline SVG,
// no script, no network) written by test mode. Per int8 tensor: the producing layer, fix points of
// input / weights / bias / output, shift_cut / shift_bias, weight SQNR, the DPU int8 tensor's SQNR
// against float, the fraction of float values its range clips, and (with --sensitivity) what the
// network output loses when only that layer is quantized, split into its output and its parameters,
// and the whole network's error from its activations and from its parameters. Plots: SQNR by layer,
// activation histograms with the chosen int8 range, float vs int8 logits.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/engine/float_tensor.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "xir/graph/graph.hpp"

namespace dputk {

struct ReportTensor {
  std::string name;        // the float op whose value the tensor quantizes
  std::string fix_op;      // its fix op in the quantizer form
  std::string layer_type;  // the computation producing it (conv2d, eltwise, pool, ...; "input")
  std::string weighted_op; // the convolution / fully connected layer of its quant group, if any
  int fo = 0;
  bool weighted = false;
  int fi = 0, fw = 0, fb = 0, shift_cut = 0, shift_bias = 0;
  bool has_bias = false;
  double weight_sqnr = 0.0;     // dB, quantized weights against the float ones
  double act_sqnr = 0.0;        // dB, the DPU's int8 tensor against the float network's (accumulated error)
  bool has_act_sqnr = false;
  double clipped = 0.0;         // fraction of the float values outside the int8 range
  // Sensitivity: the network output against float with only this quant group quantized (its output
  // fix; a layer's weights as the xmodel has them and its float bias rounded to its grid, without the
  // bias correction's shift for the layers before it).
  bool has_sensitivity = false;
  double sens_sqnr = 0.0;       // dB
  double sens_agreement = 0.0;  // % top-1 agreement (per pixel for a score map)
  // A weighted layer's split (has_sens_split): only its output fix, only its parameters.
  bool has_sens_split = false;
  double sens_output_sqnr = 0.0, sens_params_sqnr = 0.0;
  // Histogram of the float values (first images): counts over [hist_lo, hist_hi]; the int8 range.
  std::vector<std::uint32_t> hist;
  float hist_lo = 0.0f, hist_hi = 0.0f, range_lo = 0.0f, range_hi = 0.0f;
};

// Network output against float (output SQNR, top-1 agreement) with one part of the quantization.
struct ErrorShare {
  double sqnr_db = 0.0, agreement = 0.0;
};

// Where the output error comes from: every activation fix alone (float parameters), every layer's
// parameters alone (float activations; weights as the xmodel has them, float biases on their grids:
// bias correction's shifts answer the activations' errors), and both (the quantized network).
struct ErrorBudget {
  ErrorShare activations, parameters, all;
};

struct QuantReport {
  std::string model, xmodel;
  std::size_t images = 0;
  bool labelled = false;
  double int8_top1 = 0.0;
  bool compared = false;  // --compare_float
  double agreement = 0.0, logit_sqnr = 0.0;
  std::size_t sensitivity_images = 0;
  ErrorBudget budget;  // with the sensitivity
  std::vector<ReportTensor> tensors;                 // in graph order
  std::vector<std::pair<float, float>> logits;       // (float, int8) samples, first images
  std::vector<MarginBin> by_margin;                  // --compare_float: the labels by the float top-2 margin
  LabelMaps label_maps;                              // --compare_float on a score map: the image whose labels differ most
  std::string label_maps_image;                      // its name
};

// Everything but the DPU SQNR and the sensitivity, from the quantizer form `quantized`, the float
// graph `prepared` it stands for, and one batch.
std::vector<ReportTensor> report_tensors(const xir::Graph& quantized, const xir::Graph& prepared, const engine::FloatTensor& batch);

// Sensitivity: for every tensor of `tensors`, the network with only that quant group quantized (its
// output fix, and its layer's weights and bias as `quantized_path` has them; a layer's two parts also
// alone) against the float network `prepared`, on the images; and the network's error budget. With
// progress.
ErrorBudget add_sensitivity(std::vector<ReportTensor>& tensors, const std::string& quantized_path, const xir::Graph& prepared,
                     const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& preprocess, int batch_size);

std::string quant_report_html(const QuantReport& report);

}  // namespace dputk
