// --fast_finetune: AdaQuant-style layer-by-layer adjustment of weights and biases (spec §4), as
// vai_q_pytorch's finetune_v2 does it. Fix points stay as calibration chose them. For each conv /
// depthwise conv / fully connected layer in order:
//   input  = the layer's input in the quantized network (earlier layers already fine-tuned),
//   target = the float network's output of the layer (after its fused activation),
//   loss   = MSE(fix(act(layer(input; fix(W), fix(b)))), target) + MSE(W, W_float),
// minimized with Adam (lr = 0.01·std(W), 0.01·std(b); ×0.1 when the weights already quantize above
// 36 dB SQNR) and straight-through rounding; each epoch starts by evaluating the loss: the parameters
// are kept and stepped from only if it dropped, otherwise the best W, b come back and the learning
// rates halve (stop below 1e-5 or after 100 steps). A layer whose output positions in the fine-tuning set number fewer than 4× its fan-in
// (epochs == 0 in the report) is left as calibrated: it would only fit those images. As vai_q's L_net
// check, a tuned layer is kept only if the network output's loss, sqrt(MSE) against the float
// network on the fine-tuning images, does not rise (otherwise reverted, marked in the report). Gradients
// come from libtorch's autograd (built with DPUTK_WITH_TORCHSCRIPT).
// Up to 16 fine-tuning images, an epoch is one step on all of them (as above). With more, an epoch
// evaluates the loss on all images and then steps once per mini-batch of 16 (one pass), within the same
// budget of steps (max_epochs steps in all). Memory is bounded by one layer, not by the network: a
// layer's input (quantized network) and target (float network; that run stops at the layer) are
// captured when the layer is tuned, 8 images per executor run, and every loss passes over its images in
// chunks of at most 4M values, accumulating the gradient. One log line per layer.
// The fine-tuned float weights replace the prepared graph's (so bias correction measures the
// quantization error of the fine-tuned weights), and their fix-quantized values the quantized graph's.
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
  double seconds = 0;
};

bool fast_finetune_supported();

// `images`: the fine-tuning set (vai_q's default is 10 samples). Throws std::runtime_error when built
// without libtorch or for a layer it cannot express.
FinetuneReport fast_finetune(QuantGraph& qg, xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& images,
                             const Preprocess& preprocess, const FinetuneOptions& options = {});

// param.pth: the fine-tuned parameters (name → float tensor, XIR layout) in PyTorch's pickle format
// (torch.load reads it), and back into a quantized graph (test mode's load_ft_param).
void save_finetuned_params(const xir::Graph& quantized, const std::string& path);
int load_finetuned_params(xir::Graph& quantized, const std::string& path);

}  // namespace dputk
