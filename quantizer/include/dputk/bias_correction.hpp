// Bias correction (spec §2.4, option include_bias_corr, on by default): for every convolution and
// fully connected layer with a bias, the per-channel mean of the output error that weight
// quantization causes, err = layer(x_q; W_q) − layer(x_q; W), is measured on the calibration data
// with the layer's quantized input and subtracted from the float bias, which is then quantized at its
// fix point. vai_q_pytorch applies the same correction iteratively during calibration (rate 0.05 per
// batch, with stopping rules); this is its one-shot form, measured after the fix points are final.
// The mean error needs no extra convolution: it is ΔW applied to the mean of each input tap.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "dputk/dataset.hpp"
#include "dputk/preprocess.hpp"
#include "dputk/quant_graph.hpp"

namespace dputk {

// Returns how many layers were corrected. Layers named in `skip` are left alone (fast finetune has
// already fitted their biases to the float layer's output).
int correct_biases(QuantGraph& qg, const xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& indices,
                   const Preprocess& preprocess, int batch_size, const std::set<std::string>& skip = {});

}  // namespace dputk
