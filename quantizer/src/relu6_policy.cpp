#include "dputk/quantizer/relu6_policy.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>

#include "dputk/data/batch.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/bias_correction.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/quantize.hpp"

namespace dputk {

namespace {

bool has_relu6(const xir::Graph& g) {
  for (const xir::Op* op : g.get_ops())
    if (dpu::is_relu6(*op)) return true;
  return false;
}

}  // namespace

Relu6Choice choose_relu6_policy(const std::string& onnx_path, const PrepareOptions& base, const CalibOptions& calib,
                                bool bias_correction, const Dataset& data, const std::vector<std::size_t>& indices,
                                const Preprocess& preprocess, int batch_size, std::size_t trial_images) {
  Relu6Choice choice;
  auto original = load_prepared_model(onnx_path, {false, false});
  if (!has_relu6(*original) || !(base.include_cle || base.convert_relu6_to_relu)) {
    choice.policy = "keep";  // nothing to replace (or nothing asks for it)
    return choice;
  }
  const std::vector<std::size_t> trial(indices.begin(), indices.begin() + static_cast<long>(std::min(indices.size(), trial_images)));
  choice.images = trial.size();
  // The original model's outputs on the trial images, once.
  std::vector<engine::FloatTensor> want;
  {
    engine::FloatExecutor exec(*original);
    for (const auto& ids : batches_of(trial, static_cast<std::size_t>(batch_size))) {
      Batch b = make_batch(data, ids, preprocess);
      want.push_back(std::move(exec.run({&b.input})[0]));
    }
  }
  double best = -1e300;
  for (const char* policy : {"keep", "keep_after_depthwise", "relu"}) {
    PrepareOptions po = base;
    po.relu6_replace = policy;
    po.channel_stats = [&](const xir::Graph& g) { return gather_channel_stats(g, data, trial, preprocess, batch_size); };
    ChannelStats stats;
    po.prepared_stats = &stats;
    std::vector<std::string> log;
    auto prepared = load_prepared_model(onnx_path, po, &log, /*quiet=*/true);
    CalibOptions co = calib;
    co.input_energy = input_energies(*prepared, stats);
    QuantGraph qg = calibrate_model(*prepared, data, trial, preprocess, batch_size, co, nullptr, /*quiet=*/true);
    if (bias_correction) correct_biases(qg, stats, data, trial, preprocess, {}, /*quiet=*/true);
    engine::FloatExecutor exec(*qg.graph);  // fix ops at their calibrated fix points
    OutputAgreement versus_float;
    std::size_t k = 0;
    for (const auto& ids : batches_of(trial, static_cast<std::size_t>(batch_size))) {
      Batch b = make_batch(data, ids, preprocess);
      versus_float.add(want[k++], exec.run({&b.input})[0]);
    }
    const double db = versus_float.sqnr_db();
    choice.sqnr_db.emplace_back(policy, db);
    LOG(INFO) << "relu6_replace auto: candidate '" << policy << "': output SQNR " << db << " dB against the float model on "
              << trial.size() << " calibration images";
    if (db > best) {  // strict: on a tie the earlier (function-preserving) candidate stays
      best = db;
      choice.policy = policy;
    }
  }
  return choice;
}

}  // namespace dputk
