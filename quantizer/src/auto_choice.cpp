#include "dputk/quantizer/auto_choice.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "dputk/quantizer/bias_correction.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/hessian_rounding.hpp"
#include "dputk/quantizer/image_pass.hpp"
#include "dputk/quantizer/quantize.hpp"

namespace dputk {

namespace {

// A candidate replaces the one before it only when its output is this much better: the trial's few
// images do not separate closer candidates (MobileNetV1 0.25: 1×1 fix points by input energy 14.16 vs
// 14.10 dB here, 49.50% vs 50.25% held out; DeepLabV3's gain is 0.8–1.0 dB).
constexpr double kMarginDb = 0.25;

template <typename Pred>
bool has_op(const xir::Graph& g, Pred pred) {
  for (const xir::Op* op : g.get_ops())
    if (pred(*op)) return true;
  return false;
}

// Whether weighting by the input channels' energy moves any 1×1 convolution's weight fix point (when
// none moves, the trial would quantize the same network twice: ResNet50).
bool energy_moves_a_pointwise_fix_point(const xir::Graph& g, const ChannelStats& stats, const CalibOptions& calib) {
  for (const auto& [name, energy] : input_energies(g, stats, true)) {
    const xir::Op* op = g.get_op(name);
    const xir::Op* w = op ? op->get_input_op("weights") : nullptr;
    if (!w || !is_pointwise_conv(*op) || w->get_type() != "const" ||
        w->get_output_tensor()->get_shape().back() != static_cast<std::int32_t>(energy.size()))
      continue;
    const std::vector<float> v = const_values(*w);
    const auto n = static_cast<std::int64_t>(v.size());
    if (weight_fix_point(v.data(), n, &energy, calib) != weight_fix_point(v.data(), n, nullptr, calib)) return true;
  }
  return false;
}

}  // namespace

std::string format_trials(const std::vector<std::pair<std::string, double>>& sqnr_db) {
  std::string all;
  char db[32];
  for (const auto& [name, v] : sqnr_db) {
    std::snprintf(db, sizeof db, " %.2f dB", v);
    all += (all.empty() ? "" : ", ") + name + db;
  }
  return all;
}

AutoChooser::AutoChooser(const xir::Graph& original, const CalibOptions& calib, bool bias_correction, const Dataset& data,
                         const std::vector<std::size_t>& indices, const Preprocess& preprocess, int batch_size, std::size_t trial_images)
    : original_(original),
      calib_(calib),
      bias_correction_(bias_correction),
      data_(data),
      trial_(indices.begin(), indices.begin() + static_cast<long>(std::min(indices.size(), trial_images))),
      preprocess_(preprocess),
      batch_size_(batch_size) {}

// A trial's calibration and its biases as calibrated (bias correction changes them).
struct AutoChooser::Calibrated {
  const xir::Graph* prepared = nullptr;
  const ChannelStats* stats = nullptr;
  bool pointwise = false, hessian = false;
  QuantGraph qg;
  ConstSnapshot biases;
};

AutoChooser::~AutoChooser() = default;

double AutoChooser::output_sqnr(const xir::Graph& prepared, const ChannelStats& stats, bool pointwise, bool hessian, BiasTarget target) {
  if (!reference_) reference_ = std::make_unique<FloatReference>(original_, data_, trial_, preprocess_, batch_size_);
  choice_.images = trial_.size();
  const bool reuse = last_ && last_->prepared == &prepared && last_->stats == &stats && last_->pointwise == pointwise &&
                     (last_->hessian == hessian || hessian);
  if (reuse) {
    last_->biases.restore();
  } else {
    last_ = std::make_unique<Calibrated>();
    last_->prepared = &prepared;
    last_->stats = &stats;
    last_->pointwise = pointwise;
    CalibOptions co = calib_;
    co.input_energy = input_energies(prepared, stats, pointwise);
    last_->qg = calibrate_model(prepared, data_, trial_, preprocess_, batch_size_, co, nullptr, /*quiet=*/true);
    for (xir::Op* op : last_->qg.graph->get_ops()) {
      xir::Op* fix = op->get_input_num("bias") ? op->get_input_op("bias") : nullptr;
      xir::Op* c = fix && fix->get_type() == "fix" ? fix->get_input_op("input") : nullptr;
      if (c && c->get_type() == "const") last_->biases.keep(c);
    }
  }
  QuantGraph& qg = last_->qg;
  if (hessian && !last_->hessian) {
    round_weights_by_hessian(qg, prepared, data_, trial_, preprocess_, batch_size_, kMaxHessianInputs, /*quiet=*/true);
    last_->hessian = true;
  }
  if (bias_correction_) correct_biases(qg, first_images(stats, trial_.size()), data_, trial_, preprocess_, {}, /*quiet=*/true, target);
  // Fix ops at their calibrated fix points; convolutions in int8 (exact sums, 4x the fp32 speed).
  return reference_->compare(*qg.graph, calibrated_network_options()).sqnr_db();
}

std::string AutoChooser::relu6_policy(const std::string& onnx_path, const PrepareOptions& base) {
  choice_.relu6_policy = base.relu6_replace;
  if (base.relu6_replace != "auto") return choice_.relu6_policy;
  if (!has_op(original_, [](const xir::Op& op) { return dpu::is_relu6(op); }) || !(base.include_cle || base.convert_relu6_to_relu))
    return choice_.relu6_policy = "keep";  // nothing to replace (or nothing asks for it)
  double best = -1e300;
  for (const char* policy : {"keep", "keep_after_depthwise", "relu"}) {
    PrepareOptions po = base;
    po.relu6_replace = policy;
    po.channel_stats = [&](const xir::Graph& g) { return gather_channel_stats(g, data_, trial_, preprocess_, batch_size_); };
    ChannelStats stats;
    po.prepared_stats = &stats;
    auto prepared = load_prepared_model(onnx_path, po, nullptr, /*quiet=*/true);
    const double db = output_sqnr(*prepared, stats, false, false, bias_target_);
    last_.reset();  // the candidate's graph goes
    choice_.relu6_sqnr_db.emplace_back(policy, db);
    LOG(INFO) << "relu6_replace auto: candidate '" << policy << "': output SQNR " << db << " dB against the float model on "
              << trial_.size() << " calibration images";
    if (db > best) {  // strict: on a tie the earlier (function-preserving) candidate stays
      best = db;
      choice_.relu6_policy = policy;
    }
  }
  return choice_.relu6_policy;
}

bool AutoChooser::pointwise_energy(const xir::Graph& prepared, const ChannelStats& stats) {
  choice_.pointwise_energy = false;
  if (calib_.weight_method == "maxmin" || !has_op(prepared, is_pointwise_conv) ||
      !energy_moves_a_pointwise_fix_point(prepared, stats, calib_))
    return false;
  const double diffs = output_sqnr(prepared, stats, false, false, bias_target_);
  const double energy = output_sqnr(prepared, stats, true, false, bias_target_);
  choice_.pointwise_sqnr_db = {{"diffs", diffs}, {"input energy", energy}};
  choice_.pointwise_energy = energy > diffs + kMarginDb;  // the diffs search stays unless the weighting wins clearly
  chosen_db_ = choice_.pointwise_energy ? energy : diffs;
  return choice_.pointwise_energy;
}

double AutoChooser::chosen_sqnr(const xir::Graph& prepared, const ChannelStats& stats) {
  if (!chosen_db_) chosen_db_ = output_sqnr(prepared, stats, choice_.pointwise_energy, false, bias_target_);
  return *chosen_db_;
}

BiasTarget AutoChooser::bias_target(const std::string& asked, const xir::Graph& prepared, const ChannelStats& stats) {
  bias_target_ = asked == "residual_adds" ? BiasTarget::RESIDUAL_ADDS : BiasTarget::LAYERS;
  if (asked == "auto" && bias_correction_ && has_residual_add_targets(prepared)) {
    const double layers = chosen_sqnr(prepared, stats);
    const double adds = output_sqnr(prepared, stats, choice_.pointwise_energy, false, BiasTarget::RESIDUAL_ADDS);
    choice_.bias_target_sqnr_db = {{"layers", layers}, {"residual_adds", adds}};
    if (adds > layers + kMarginDb) {
      bias_target_ = BiasTarget::RESIDUAL_ADDS;
      chosen_db_ = adds;
    }
  } else if (bias_target_ != BiasTarget::LAYERS) {
    chosen_db_.reset();  // measured with the layers' correction
  }
  choice_.bias_target = bias_target_ == BiasTarget::RESIDUAL_ADDS ? "residual_adds" : "layers";
  return bias_target_;
}

std::string AutoChooser::weight_rounding(const std::string& asked, const xir::Graph& prepared, const ChannelStats& stats) {
  choice_.weight_rounding = asked;
  if (asked != "auto") return asked;
  const bool pointwise = choice_.pointwise_energy;
  const double nearest = chosen_sqnr(prepared, stats);
  const double hessian = output_sqnr(prepared, stats, pointwise, true, bias_target_);
  last_.reset();  // the last trial
  choice_.rounding_sqnr_db = {{"nearest", nearest}, {"hessian", hessian}};
  return choice_.weight_rounding = hessian > nearest + kMarginDb ? "hessian" : "nearest";
}

bool AutoChooser::outlier_split(const std::string& asked, std::unique_ptr<xir::Graph>& prepared, ChannelStats& stats) {
  choice_.outlier_split = false;
  if (asked == "off") return false;
  const bool pointwise = choice_.pointwise_energy, hessian = choice_.weight_rounding == "hessian";
  std::string bytes;
  prepared->serialize_to_string(&bytes);
  std::unique_ptr<xir::Graph> split = xir::Graph::deserialize_from_string(bytes);
  ChannelStats split_stats = stats;
  CalibOptions co = calib_;
  co.input_energy = input_energies(*prepared, stats, pointwise);
  choice_.split_log = split_outlier_channels(*split, split_stats, co);
  if (choice_.split_log.empty()) return false;
  if (asked == "on") {
    prepared = std::move(split);
    stats = std::move(split_stats);
    return choice_.outlier_split = true;
  }
  double off = 0;
  for (const auto& [name, db] : choice_.rounding_sqnr_db)
    if (name == choice_.weight_rounding) off = db;
  if (choice_.rounding_sqnr_db.empty()) off = output_sqnr(*prepared, stats, pointwise, hessian, bias_target_);
  const double on = output_sqnr(*split, split_stats, pointwise, hessian, bias_target_);
  last_.reset();  // the candidate's graph may go
  choice_.split_sqnr_db = {{"off", off}, {"on", on}};
  choice_.outlier_split = on > off + kMarginDb;
  if (choice_.outlier_split) {
    prepared = std::move(split);
    stats = std::move(split_stats);
  }
  return choice_.outlier_split;
}

}  // namespace dputk
