// What the quantizer decides by measurement rather than by a key the user must know: each candidate
// is prepared, calibrated and bias-corrected on the first calibration images, and the quantized
// network's output is compared with the original float model's on them (SQNR of the outputs, in dB);
// the best is kept.
//
// 1. relu6_replace "auto" (the default): "keep" (every ReLU6 stays; equalization crosses them where the
//    clip does not bind), "keep_after_depthwise", "relu" (vai_q: every ReLU6 becomes ReLU, then
//    equalization). Networks without a ReLU6 skip this. Measured (calibrate on the first 100 of val_500,
//    test on the other 400; int8 top-1, float in brackets): MobileNetV1 0.5/160 QAT keep 70.50%,
//    keep_after_depthwise 66.25%, relu 44.50% (73.50%); MobileNetV1 0.25/128 keep 50.00%, 41.00%,
//    29.50% (55.25%); MobileNetV2 keep 77.25%, 76.25%, 64.50% (77.75%). The output SQNR ranks them the
//    same way on the calibration images.
// 2. Then, on the preparation the quantizer goes on with (the policy kept, statistics over all its
//    statistics images), the 1×1 dense convolutions' weight fix points: the diffs search on the
//    weights, or weighted by their input channels' energy (input_energies) when that is at least
//    0.25 dB better. Skipped for networks without such a convolution and where the weighting moves no
//    fix point (ResNet50: no reference run, no trial). Measured the same way: DeepLabV3 MobileNetV2 0.5
//    (calibrate on 100 photos of val_500, label agreement with float on the first 8) 96.44% → 96.95%,
//    output SQNR 19.3 → 20.3 dB (trial 19.3 vs 20.1 dB); MobileNetV2 78.00% → 77.25%, MobileNetV1 0.5
//    71.25% → 70.50%, 0.25 50.25% → 49.50% (trials: diffs ahead, or energy by 0.06 dB on MobileNetV1
//    0.25).
// 3. Then (config key bias_corr_target, "auto" by default), in networks with residual adds followed by
//    an activation (ResNets): bias correction at the layers' own outputs, or such blocks' last
//    layers at their adds (bias_correction.hpp) when that is at least 0.25 dB better. Measured (trial →
//    held out): CIFAR ResNet32 (calibrated on 500 images, 9500 held out) 13.61 → 21.52 dB (11.84 →
//    21.99 dB, top-1 agreement 95.05% → 97.62%, top-1 82.28% → 82.83% of 82.60%), ResNet20 20.69 →
//    22.49 dB (20.09 → 22.99 dB, 81.38% → 81.54% of 81.38%); torchvision's ResNet50 with seeded weights
//    keeps the layers (26.43 vs 24.04 dB).
// 4. Then the weights' rounding (config key weight_rounding, "auto" by default): to nearest, or by the
//    layers' inputs (hessian_rounding.hpp) when that is at least 0.25 dB better. Measured the same way
//    (trial on 32 calibration images → held-out images): MobileNetV1 0.5 16.70 → 17.53 dB (400 images:
//    16.36 → 17.49 dB, top-1 agreement 91.50% → 92.75%, top-1 71.50% → 74.00% of 73.50%), MobileNetV1
//    0.25 14.10 → 15.32 dB (14.19 → 15.15 dB, 74.50% → 78.25%, 50.25% → 49.75% of 55.25%), MobileNetV2
//    15.39 → 16.03 dB (13.96 → 14.90 dB, 94.25% → 94.50%), DeepLabV3 19.72 → 21.80 dB (first 8 photos:
//    label agreement 96.59% → 97.30%), CIFAR ResNet20 20.69 → 21.87 dB (9500 images: 19.32 → 20.09 dB,
//    81.29% → 81.38%); CIFAR ResNet32 13.61 vs 13.78 dB keeps rounding to nearest (held out, the
//    hessian rounding would cost it 0.66 dB: its layer errors, already ~40 dB, are amplified downstream
//    in directions the layer-wise objective does not weigh) — measured with bias correction at the layers;
//    at the residual adds ResNet32 takes it (21.52 → 22.27 dB) and ResNet20 does not (22.49 vs 22.37 dB).
// 5. Then outlier channel splitting (outlier_split.hpp), where it would give any layer a finer weight
//    fix point: kept when the split network is at least 0.25 dB better with the choices made. Measured
//    (trial on 32 calibration images → 400 held-out images): MobileNetV1 0.25 15.32 → 16.40 dB, kept
//    (15.15 → 16.04 dB, top-1 agreement 78.25% → 80.25%, top-1 49.75% both, of 55.25%); MobileNetV1 0.5
//    17.53 vs 17.78 dB, MobileNetV2 16.03 vs 16.10 dB, DeepLabV3 21.80 vs 21.70 dB: not kept; ResNets:
//    no layer qualifies, no trial. Splitting without the trial did worse held out: with the weights'
//    no-overflow fix point as the criterion, MobileNetV1 0.5 17.49 → 17.29 dB (74.00% → 72.00%),
//    MobileNetV2 14.90 → 14.27 dB; with the diffs search's, DeepLabV3's label agreement 95.97% →
//    94.22% (split before step 2, it moved the 1×1 fix points' choice from input energy to diffs).
//
// The candidates of one trial share their calibration (the same fix points): the last one calibrated
// is kept and its biases restored for the next.
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/quantizer/bias_correction.hpp"
#include "dputk/quantizer/calibrate.hpp"
#include "dputk/quantizer/channel_stats.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/outlier_split.hpp"
#include "dputk/quantizer/prepare.hpp"

namespace dputk {

struct AutoChoice {
  std::string relu6_policy;                                   // keep | keep_after_depthwise | relu
  bool pointwise_energy = false;                              // 1×1 dense weights' fix points by input energy
  std::string weight_rounding;                                // nearest | hessian
  std::string bias_target = "layers";                         // layers | residual_adds
  std::vector<std::pair<std::string, double>> relu6_sqnr_db;  // each ReLU6 candidate's output SQNR (empty: not tried)
  std::vector<std::pair<std::string, double>> pointwise_sqnr_db;  // "diffs", "input energy" (empty: not tried)
  std::vector<std::pair<std::string, double>> rounding_sqnr_db;   // "nearest", "hessian" (empty: not tried)
  std::vector<std::pair<std::string, double>> bias_target_sqnr_db;  // "layers", "residual_adds" (empty: not tried)
  bool outlier_split = false;                                 // outlier channels split
  std::vector<std::pair<std::string, double>> split_sqnr_db;  // "off", "on" (empty: not tried)
  std::vector<std::string> split_log;                         // what the split did (tried)
  std::size_t images = 0;                                     // trial images
};

// The trials of one calibration: candidates are tried on the first `trial_images` of `indices` against
// `original` (the user's float model; its outputs are computed once, when a trial first needs them).
class AutoChooser {
 public:
  AutoChooser(const xir::Graph& original, const CalibOptions& calib, bool bias_correction, const Dataset& data,
              const std::vector<std::size_t>& indices, const Preprocess& preprocess, int batch_size, std::size_t trial_images = 32);
  ~AutoChooser();

  // `base.relu6_replace` resolved: tried when "auto", kept as it is otherwise. `base` is the rest of the
  // preparation (CLE, SiLU; the statistics callback is set here).
  std::string relu6_policy(const std::string& onnx_path, const PrepareOptions& base);
  // Whether the 1×1 dense convolutions' weight fix points are weighted by input energy. `prepared` is
  // the graph the quantizer calibrates, `stats` its statistics over the first images of `indices` (at
  // least the trial images).
  bool pointwise_energy(const xir::Graph& prepared, const ChannelStats& stats);
  // Where bias correction measures the error (`asked`: the config's bias_corr_target; tried when "auto"
  // and the network has such adds), on the same graph and statistics, after pointwise_energy.
  BiasTarget bias_target(const std::string& asked, const xir::Graph& prepared, const ChannelStats& stats);
  // The weights' rounding (`asked`: the config's weight_rounding; tried when "auto"), on the same graph
  // and statistics, after bias_target.
  std::string weight_rounding(const std::string& asked, const xir::Graph& prepared, const ChannelStats& stats);
  // Outlier channel splitting (split_outlier_channels; `asked`: the config's outlier_split) with the
  // choices made, after weight_rounding: on a copy of `prepared` and `stats`; when "auto" and it splits
  // any channel, tried and kept (both replaced) when at least kMarginDb better. Returns whether it was.
  bool outlier_split(const std::string& asked, std::unique_ptr<xir::Graph>& prepared, ChannelStats& stats);

  const AutoChoice& choice() const { return choice_; }

 private:
  // Calibrated on the trial images (weights rounded by `hessian`), bias-corrected at `target`, against
  // the float model. Reuses the last calibration when it was of the same graph with the same 1×1 fix
  // points (and rounding, or to nearest when hessian is asked: rounded then).
  double output_sqnr(const xir::Graph& prepared, const ChannelStats& stats, bool pointwise, bool hessian, BiasTarget target);

  // The output SQNR of the choices so far (weights to nearest): from the trial that chose them, or measured.
  double chosen_sqnr(const xir::Graph& prepared, const ChannelStats& stats);

  struct Calibrated;

  const xir::Graph& original_;
  CalibOptions calib_;
  bool bias_correction_;
  const Dataset& data_;
  std::vector<std::size_t> trial_;
  Preprocess preprocess_;
  int batch_size_;
  std::unique_ptr<FloatReference> reference_;  // made by the first trial
  std::unique_ptr<Calibrated> last_;           // the last trial's calibration
  BiasTarget bias_target_ = BiasTarget::LAYERS;
  std::optional<double> chosen_db_;            // chosen_sqnr's, once known
  AutoChoice choice_;
};

// "keep 19.29 dB, relu 12.07 dB": a candidate list for the log.
std::string format_trials(const std::vector<std::pair<std::string, double>>& sqnr_db);

}  // namespace dputk
