// Bias correction (spec §2.4, option include_bias_corr, on by default): for every convolution and
// fully connected layer with a bias, the per-channel mean of the output error that weight
// quantization causes, err = layer(x_q; W_q) − layer(x_q; W), is measured on the calibration data
// with the layer's quantized input and subtracted from the float bias, which is then quantized at its
// fix point. vai_q_pytorch applies the same correction iteratively during calibration (rate 0.05 per
// batch, with stopping rules); this is its one-shot form: the input statistics are gathered in the
// calibration pass itself (each layer sees its input quantized at the fix points of that moment, as
// in vai_q), and the correction is applied once the weight and bias fix points are final.
// The mean error needs no extra convolution: it is ΔW applied to the mean of each input tap.
#pragma once
#include <memory>
#include <set>
#include <string>

#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

class BiasCorrection {
 public:
  // The layers of the quantizer form `qg` to correct: convolutions and fully connected layers whose
  // weights and bias are fix-quantized consts that also exist in the float graph `prepared`.
  BiasCorrection(const QuantGraph& qg, const xir::Graph& prepared);
  ~BiasCorrection();
  // A FloatExecutor observer over qg's graph: accumulates each layer's input tap sums.
  void observe(const xir::Op* op, const engine::FloatTensor& value);
  // Subtracts the mean output error from each float bias and quantizes it at its (final) fix point.
  // Layers named in `skip` are left alone (fast finetune has already fitted their biases to the float
  // layer's output). Returns how many layers were corrected.
  int apply(const xir::Graph& prepared, const std::set<std::string>& skip = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dputk
