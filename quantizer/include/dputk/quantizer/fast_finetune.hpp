// --fast_finetune: AdaQuant-style layer-by-layer adjustment of weights and biases (spec §4), as
// vai_q_pytorch's finetune_v2 does it. Fix points stay as calibration chose them. For each conv /
// depthwise conv / fully connected layer in order:
//   input  = the layer's input in the quantized network (earlier layers already fine-tuned),
//   target = the float network's output of the layer (after its fused activation),
//   loss   = MSE(fix(act(layer(input; fix(W), fix(b)))), target) + MSE(W, W_float),
// minimized with Adam (lr = 0.01·std(W), 0.01·std(b); ×0.1 when the weights already quantize above
// 36 dB SQNR) and straight-through rounding. From 8 images a quarter is held out of the steps, and each
// epoch starts by evaluating the loss on them (fewer: on all): the parameters are kept and stepped from
// if it dropped; otherwise the best W, b come back, the learning rates halve and the steps go on from
// them with fresh moment estimates (stop below 1e-5 or after 100 steps). A layer whose output positions in the fine-tuning set number fewer than 4× its fan-in
// (epochs == 0 in the report) is left as calibrated: it would only fit those images. As vai_q's L_net
// check, a tuned layer is kept only if the network output's loss, sqrt(MSE) against the float
// network on the first 32 fine-tuning images, does not rise (otherwise reverted, marked in the report):
// one quantized-network run per layer whose tuning lowered its loss (int8 convolutions, as
// calibration runs it). A layer's sums and their weight/bias gradient are oneDNN's on NHWC values
// (engine/conv_gradient.hpp; with libtorch's NCHW convolutions and autograd, 100 images took 319 s
// instead of 225 on ResNet50, 182 instead of 91 on MobileNetV2, 60 instead of 12 on MobileNetV1 0.5); the loss and its
// gradient one pass over the sums (finetune_loss.hpp); the optimizer libtorch's Adam (built with
// DPUTK_WITH_TORCHSCRIPT).
// An epoch steps once per mini-batch of 8 of the images not held out (one pass), within the same budget
// of steps (max_epochs steps in all). Memory is bounded by one layer, not by the network: a
// layer's input in the quantized network and in the float network are captured when the layer is
// tuned (8 images per executor run; the runs stop at the layer) — or, when it reads the output of the
// layer tuned just before (a chain: MobileNetV1 throughout, MobileNetV2 within its blocks), computed
// from that layer's inputs and final parameters without running the networks; after a residual
// connection (MobileNetV2's and ResNet's identity shortcuts), computed by the add (and its activation
// and fix) from the values it reads, kept since the layers that produced them were tuned; a value
// that a later layer reads too (ResNet's downsampling convolution) is kept for it. Its target
// is its float computation on its float input. Fake quantization is fix_math.hpp's, one pass, with a
// straight-through gradient. Every loss passes over its images in chunks of at most 4M values,
// accumulating the gradient. One log line per layer.
// The fine-tuned weights' fix-quantized values replace the quantized graph's; the float graph is not
// changed (every layer's target is the float network's own value).
#pragma once
#include <string>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

struct FinetuneOptions {
  int max_epochs = 100;
  double lr_factor = 0.01;
  double min_lr = 1e-5;
  // Non-empty: the values of all fine-tuning images (each tuned layer's inputs and targets, and those
  // kept for residual connections) are held in temporary files in this directory instead of memory;
  // the process holds the chunk it works on (common/memory.hpp's file_pages).
  std::string spill_dir;
  // Tests: a layer whose inputs were computed from the layer before also has them captured from the
  // networks, and the differences go into the report.
  bool check_chained_inputs = false;
};

struct FinetuneLayer {
  std::string op;
  double loss_before = 0, loss_after = 0;
  int epochs = 0;
  double seconds = 0;
  bool reverted = false;  // tuned, but the network output loss rose: calibrated parameters kept
};

struct FinetuneReport {
  std::vector<FinetuneLayer> layers;
  double net_loss = 0;  // L_net after fine-tuning
  int chained = 0;       // layers whose inputs came from the layer before
  int from_kept = 0;     // layers whose inputs a residual add computed from kept values
  // With check_chained_inputs, over those layers: the largest share of quantized input values that
  // differ from the network's, the largest such difference in LSBs, and the largest float input
  // difference relative to the value's largest magnitude.
  double chain_mismatch = 0, chain_max_lsb = 0, chain_float_rel = 0;
  // With check_chained_inputs: the largest relative difference between the network loss run from a
  // tuned layer's input (the layer check's) and run whole.
  double cut_loss_rel = 0;
  double seconds = 0;
};

bool fast_finetune_supported();

// `images`: the fine-tuning set (vai_q's default is 10 samples). Throws std::runtime_error when built
// without libtorch or for a layer it cannot express.
FinetuneReport fast_finetune(QuantGraph& qg, const xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& images,
                             const Preprocess& preprocess, const FinetuneOptions& options = {});

// param.pth: the fine-tuned parameters (name → float tensor, XIR layout) in PyTorch's pickle format
// (torch.load reads it), and back into a quantized graph (test mode's load_ft_param).
void save_finetuned_params(const xir::Graph& quantized, const std::string& path);
int load_finetuned_params(xir::Graph& quantized, const std::string& path);

}  // namespace dputk
