#include "dputk/quantizer/auto_choice.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "dputk/quantizer/bias_correction.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/quantize.hpp"

namespace dputk {

namespace {

bool has_op(const xir::Graph& g, bool (*pred)(const xir::Op&)) {
  for (const xir::Op* op : g.get_ops())
    if (pred(*op)) return true;
  return false;
}

bool is_relu6_op(const xir::Op& op) { return dpu::is_relu6(op); }

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

AutoChoice choose_by_trial(const std::string& onnx_path, const PrepareOptions& base, const CalibOptions& calib, bool bias_correction,
                           const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& preprocess, int batch_size,
                           std::size_t trial_images) {
  AutoChoice choice;
  choice.relu6_policy = base.relu6_replace;
  auto original = load_prepared_model(onnx_path, {false, false});
  const bool try_relu6 = base.relu6_replace == "auto";
  if (try_relu6 && (!has_op(*original, is_relu6_op) || !(base.include_cle || base.convert_relu6_to_relu)))
    choice.relu6_policy = "keep";  // nothing to replace (or nothing asks for it)
  const bool relu6_trial = try_relu6 && choice.relu6_policy == "auto";
  const bool pointwise_trial = calib.weight_method != "maxmin" && has_op(*original, is_pointwise_conv);
  if (!relu6_trial && !pointwise_trial) return choice;

  const std::vector<std::size_t> trial(indices.begin(), indices.begin() + static_cast<long>(std::min(indices.size(), trial_images)));
  choice.images = trial.size();
  // The original model's outputs on the trial images, once.
  const FloatReference reference(*original, data, trial, preprocess, batch_size);
  struct Prepared {
    std::unique_ptr<xir::Graph> graph;
    ChannelStats stats;
  };
  auto prepare = [&](const std::string& policy) {
    PrepareOptions po = base;
    po.relu6_replace = policy;
    po.channel_stats = [&](const xir::Graph& g) { return gather_channel_stats(g, data, trial, preprocess, batch_size); };
    Prepared p;
    po.prepared_stats = &p.stats;
    std::vector<std::string> log;
    p.graph = load_prepared_model(onnx_path, po, &log, /*quiet=*/true);
    return p;
  };
  auto output_sqnr = [&](const Prepared& p, bool pointwise) {
    CalibOptions co = calib;
    co.input_energy = input_energies(*p.graph, p.stats, pointwise);
    QuantGraph qg = calibrate_model(*p.graph, data, trial, preprocess, batch_size, co, nullptr, /*quiet=*/true);
    if (bias_correction) correct_biases(qg, p.stats, data, trial, preprocess, {}, /*quiet=*/true);
    return reference.compare(*qg.graph).sqnr_db();  // fix ops at their calibrated fix points
  };
  double best = -1e300;
  Prepared kept;  // the chosen policy's preparation (one statistics pass less for the second trial)
  if (relu6_trial) {
    for (const char* policy : {"keep", "keep_after_depthwise", "relu"}) {
      Prepared p = prepare(policy);
      const double db = output_sqnr(p, false);
      choice.relu6_sqnr_db.emplace_back(policy, db);
      LOG(INFO) << "relu6_replace auto: candidate '" << policy << "': output SQNR " << db << " dB against the float model on "
                << trial.size() << " calibration images";
      if (db > best) {  // strict: on a tie the earlier (function-preserving) candidate stays
        best = db;
        choice.relu6_policy = policy;
        if (pointwise_trial) kept = std::move(p);
      }
    }
  }
  if (pointwise_trial) {
    if (!kept.graph) kept = prepare(choice.relu6_policy);
    if (energy_moves_a_pointwise_fix_point(*kept.graph, kept.stats, calib)) {
      const double diffs = relu6_trial ? best : output_sqnr(kept, false);
      const double energy = output_sqnr(kept, true);
      choice.pointwise_sqnr_db = {{"diffs", diffs}, {"input energy", energy}};
      choice.pointwise_energy = energy > diffs;  // strict: a tie keeps the diffs search
    }
  }
  return choice;
}

}  // namespace dputk
