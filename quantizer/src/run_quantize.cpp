// dpu-quantize's modes: float (evaluate the float model), calib (choose fix points, write
// quant_info.json and <Graph>_int.xmodel), test (evaluate what the DPU computes, in integers).
#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "dputk/data/batch.hpp"
#include "dputk/quantizer/bias_correction.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/seg_masks.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/op_plugins.hpp"
#include "dputk/quantizer/quant_config.hpp"
#include "dputk/quantizer/quant_info.hpp"
#include "dputk/quantizer/deploy.hpp"
#include "dputk/quantizer/fast_finetune.hpp"
#include "dputk/quantizer/hessian_rounding.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "dputk/quantizer/quantize_options.hpp"
#include "dputk/quantizer/auto_choice.hpp"
#include "dputk/quantizer/quant_report.hpp"
#include "dputk/common/atomic_file.hpp"

namespace fs = std::filesystem;

namespace dputk {

namespace {

// The graph's single image input ([N,H,W,C]) against what the preprocessing produces.
void check_input_geometry(const xir::Graph& graph, const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& p) {
  std::vector<const xir::Op*> inputs;
  for (const xir::Op* op : graph.topological_sort())
    if (op->get_type() == "data" || op->get_type() == "data-fix") inputs.push_back(op);
  if (inputs.size() != 1)
    throw std::runtime_error("the model has " + std::to_string(inputs.size()) + " inputs; image classification needs exactly one");
  const auto& want = inputs[0]->get_output_tensor()->get_shape();
  if (want.size() != 4)
    throw std::runtime_error("model input '" + inputs[0]->get_name() + "' is not an image (rank " + std::to_string(want.size()) + ")");
  check_preprocessed_size(data.load(indices.front()), p, want, data.name(indices.front()), "the model input '" + inputs[0]->get_name() + "'");
}

// The data set, without its unreadable images when --skip_bad_images asks for it (each named, counted).
std::unique_ptr<Dataset> open_images(const QuantizeOptions& o, const std::string& dir, const std::string& list) {
  auto data = open_dataset(dir, list);
  if (!o.skip_bad_images) return data;
  std::vector<std::string> skipped;
  data = without_unreadable_images(std::move(data), &skipped);
  for (const auto& s : skipped) LOG(WARNING) << "skipped: " << s;
  std::printf("Skipped images: %zu (unreadable; --skip_bad_images)\n", skipped.size());
  return data;
}

std::vector<std::size_t> pick(const Dataset& data, const QuantizeOptions& o) {
  if (o.skip >= data.size())
    throw std::invalid_argument("--skip " + std::to_string(o.skip) + " leaves no images of the " + std::to_string(data.size()) + " in " +
                                data.description());
  return select_indices(data.size(), o.subset_len, o.sample_method == "random", o.seed, o.skip);
}

void print_result(const EvalResult& r, bool labelled) {
  if (!labelled) {
    std::printf("Images: %zu (no class labels: no accuracy)\n", r.images);
    std::fflush(stdout);
    return;
  }
  if (!r.score_map.empty()) {
    std::printf("Images: %zu (the output is a score map %s: image class labels do not apply, no accuracy)\n", r.images, r.score_map.c_str());
    std::fflush(stdout);
    return;
  }
  std::printf("Accuracy: %.4f%%\nTop-5: %.4f%%\nImages: %zu\n", r.top1_percent(), r.top5_percent(), r.images);
  std::fflush(stdout);
}

QuantConfig config_of(const QuantizeOptions& o) {
  if (o.config_file.empty()) {
    LOG(INFO) << "Quant config file is empty, use default quant configuration";
    return {};
  }
  QuantConfig cfg = load_quant_config(o.config_file);
  for (const auto& t : cfg.custom_ops) dpu::declare_cpu_float_op(t);
  return cfg;
}

std::string xmodel_path(const QuantizeOptions& o, const std::string& graph_name) {
  return (fs::path(o.output_dir) / (graph_name + "_int.xmodel")).string();
}

std::string prepared_path(const QuantizeOptions& o, const std::string& graph_name) {
  return (fs::path(o.output_dir) / (graph_name + "_prepared.xmodel")).string();
}

int run_float(const QuantizeOptions& o) {
  config_of(o);  // custom ops
  auto graph = load_prepared_model(o.model, {false, false});
  auto data = open_images(o, o.data_dir, o.val_list);
  auto indices = pick(*data, o);
  LOG(INFO) << "float evaluation of " << o.model << " on " << indices.size() << " images of " << data->description();
  check_input_geometry(*graph, *data, indices, o.preprocess);
  engine::FloatExecutor exec(*graph);
  print_result(evaluate(*data, indices, o.preprocess, float_classifier(exec), o.batch_size, "float evaluation"), data->has_labels());
  return 0;
}

// Images the per-channel statistics (dead channels, ReLU6 clips, depthwise input energies, the float
// network's layer means for bias correction) are taken on. Fewer cost accuracy (MobileNetV1 0.5,
// calibrated on 100: 72.50% with all 100, 71.75% with 80, 69.75% with 64, 69.00% with 32).
constexpr std::size_t kStatImages = 256;

int run_calib(const QuantizeOptions& o) {
  const QuantConfig cfg = config_of(o);
  const std::string dir = o.calib_dir.empty() ? o.data_dir : o.calib_dir;
  const std::string list = o.calib_dir.empty() ? o.val_list : o.calib_list;
  auto data = open_images(o, dir, list);
  auto indices = pick(*data, o);
  CalibOptions co;
  co.method = cfg.activation_method;
  co.weight_method = cfg.weight_method;
  co.percentage = cfg.percentage;
  // The data-driven preparation and the bias correction read the first kStatImages calibration images
  // (one float pass for both; see PrepareOptions::prepared_stats).
  const std::vector<std::size_t> stat_ids(indices.begin(), indices.begin() + static_cast<long>(std::min(indices.size(), kStatImages)));
  PrepareOptions po = prepare_options_of(cfg);
  if (po.relu6_replace == "auto" && po.convert_relu6_to_relu) po.relu6_replace = "relu";  // asked for explicitly (vai_q's key)
  ChannelStats stats;
  std::unique_ptr<xir::Graph> prepared;
  bool pointwise_energy = false;
  std::string weight_rounding;
  BiasTarget bias_target = BiasTarget::LAYERS;
  {  // the user's float model and the trials' reference outputs: only for the choices
    const auto original = load_prepared_model(o.model, {false, false}, nullptr, true);
    check_input_geometry(*original, *data, indices, o.preprocess);
    AutoChooser chooser(*original, co, cfg.include_bias_corr, *data, indices, o.preprocess, o.batch_size);
    auto report = [&chooser](const char* what, const std::string& chosen, const std::vector<std::pair<std::string, double>>& trials) {
      if (trials.empty()) return;
      const std::string line = std::string(what) + ": " + chosen + " (auto; output SQNR vs float on " +
                               std::to_string(chooser.choice().images) + " calibration images: " + format_trials(trials) + ")";
      LOG(INFO) << line;
      std::printf("%s\n", line.c_str());
    };
    po.relu6_replace = chooser.relu6_policy(o.model, po);
    report("ReLU6 policy", po.relu6_replace, chooser.choice().relu6_sqnr_db);
    // Data-driven preparation (dead channels, ReLU6-aware equalization) on the calibration images.
    po.channel_stats = [&](const xir::Graph& g) { return gather_channel_stats(g, *data, stat_ids, o.preprocess, o.batch_size, true); };
    po.prepared_stats = &stats;
    prepared = load_prepared_model(o.model, po);
    pointwise_energy = chooser.pointwise_energy(*prepared, stats);
    report("1x1 weight fix points", pointwise_energy ? "input energy" : "diffs", chooser.choice().pointwise_sqnr_db);
    bias_target = chooser.bias_target(cfg.bias_corr_target, *prepared, stats);
    report("Bias correction at", chooser.choice().bias_target, chooser.choice().bias_target_sqnr_db);
    weight_rounding = chooser.weight_rounding(cfg.weight_rounding, *prepared, stats);
    report("Weight rounding", weight_rounding, chooser.choice().rounding_sqnr_db);
    if (chooser.outlier_split(cfg.outlier_split, prepared, stats))
      for (const std::string& line : chooser.choice().split_log) LOG(INFO) << line;
    report("Outlier channel splitting", chooser.choice().outlier_split ? "on" : "off", chooser.choice().split_sqnr_db);
  }
  LOG(INFO) << "Quantization calibration process start up: " << indices.size() << " images of " << data->description();
  co.input_energy = input_energies(*prepared, stats, pointwise_energy);
  QuantGraph qg = calibrate_model(*prepared, *data, indices, o.preprocess, o.batch_size, co);
  if (weight_rounding == "hessian") {
    const HessianRoundingResult hr = round_weights_by_hessian(qg, *prepared, *data, stat_ids, o.preprocess, o.batch_size, kMaxHessianInputs);
    LOG(INFO) << "weight rounding: " << hr.layers << " layers by their inputs' second moments (" << hr.seconds << " s)";
  }
  if (o.fast_finetune) {
    // Fix points stay as calibrated on the whole calibration set; the weights and biases are then
    // tuned on its first ft_subset_len images (vai_q_pytorch's fast_finetune; see fast_finetune.hpp).
    std::vector<std::size_t> ft(indices.begin(), indices.begin() + static_cast<long>(std::min(indices.size(), o.ft_subset_len)));
    // Its values of all images (each layer's inputs and targets: about 1 GB per 100 ResNet50 images)
    // in temporary files: ResNet50, 100 images, peak RSS 1.30 against 1.77 GB in memory, 300 images
    // 1.27 GB; MobileNetV2 0.77 against 1.29 GB, 39.0 against 38.4 s.
    FinetuneOptions fo;
    fo.spill_dir = o.ft_values_dir.empty() ? fs::temp_directory_path().string() : o.ft_values_dir;
    const FinetuneReport r = fast_finetune(qg, *prepared, *data, ft, o.preprocess, fo);
    double before = 0, after = 0;
    std::size_t tuned = 0, reverted = 0;
    for (const auto& l : r.layers) {
      if (l.epochs == 0 || l.reverted) {
        reverted += l.reverted;
        continue;
      }
      before += l.loss_before;
      after += l.loss_after;
      ++tuned;
    }
    std::printf("Fast finetune: %zu of %zu layers tuned on %zu images in %.1f s (%zu more reverted: the network loss rose), "
                "summed layer loss %.6g -> %.6g, network loss %.6g\n",
                tuned, r.layers.size(), ft.size(), r.seconds, reverted, before, after, r.net_loss);
  }
  // Bias correction for every layer, fast-finetuned ones too: it takes out the mean error that is left
  // with the quantized network before each layer (fast finetune fitted on its first few images).
  int corrected = 0;
  if (cfg.include_bias_corr) {
    const BiasCorrectionResult bc = correct_biases(qg, stats, *data, stat_ids, o.preprocess, {}, false, bias_target);
    corrected = bc.layers;
    LOG(INFO) << "bias correction: " << bc.layers << " layers"
              << (bc.at_adds ? " (" + std::to_string(bc.at_adds) + " at their residual adds)" : std::string()) << ", mean |shift| "
              << bc.mean_shift;
  }
  lower_to_fix_form(*qg.graph);  // fail now, not at test time, when the result cannot run on the DPU
  fs::create_directories(o.output_dir);
  const std::string info_path = (fs::path(o.output_dir) / "quant_info.json").string();
  QuantInfo info = quant_info_of(qg);
  info.bias_corrected = corrected > 0;
  info.fast_finetuned = o.fast_finetune;
  if (o.fast_finetune) {
    const std::string param = (fs::path(o.output_dir) / "param.pth").string();
    save_finetuned_params(*qg.graph, param);
    LOG(INFO) << "=>Exporting quant model parameters.(" << param << ")";
  }
  write_quant_info(info, info_path);
  LOG(INFO) << "=>Exporting quant config.(" << info_path << ")";
  // The prepared float model the int8 one stands for: test mode's per-layer reference (its equalization
  // depends on the calibration images, so it cannot be redone from the ONNX file alone).
  // Fast finetune and bias correction (through its statistics) compare with it and leave it as it is.
  {
    std::string prepared_bytes;  // gone before the xmodel is serialized beside it (ResNet50: 0.1 GB)
    prepared->serialize_to_string(&prepared_bytes);
    write_file_atomic(prepared_path(o, qg.graph->get_name()), prepared_bytes);
  }
  const std::string xm = xmodel_path(o, qg.graph->get_name());
  qg.graph->serialize(xm);
  LOG(INFO) << "=>Successfully convert '" << qg.graph->get_name() << "' to xmodel.(" << xm << ")";
  std::printf("Calibration done on %zu images: %zu fix points written to %s and %s\n", indices.size(), qg.slots.size(),
              info_path.c_str(), xm.c_str());
  return 0;
}

int run_test(const QuantizeOptions& o) {
  const QuantConfig cfg = config_of(o);  // custom ops
  auto original = load_prepared_model(o.model, {false, false});
  std::unique_ptr<xir::Graph> prepared;
  if (fs::exists(prepared_path(o, original->get_name())))
    prepared = xir::Graph::deserialize(prepared_path(o, original->get_name()));
  else  // written by an earlier version: prepare again (equalization without calibration statistics)
    prepared = load_prepared_model(o.model, prepare_options_of(cfg));
  const std::string xm = xmodel_path(o, prepared->get_name());
  if (!fs::exists(xm))
    throw std::runtime_error(xm + ": Quantization calibration result file does not exist. Please check calibration is done or not "
                                  "(run --quant_mode calib first with the same --model and --output_dir).");
  auto quantized = xir::Graph::deserialize(xm);
  const std::string info_path = (fs::path(o.output_dir) / "quant_info.json").string();
  const bool finetuned = fs::exists(info_path) && read_quant_info(info_path).fast_finetuned;
  const std::string param = (fs::path(o.output_dir) / "param.pth").string();
  if (o.fast_finetune) {  // vai_q_pytorch's load_ft_param()
    if (!finetuned || !fs::exists(param))
      throw std::runtime_error(param + ": Fast finetuned parameter file does not exist. Please check fast finetune is done or not "
                                       "(run --quant_mode calib --fast_finetune first with the same --output_dir).");
    LOG(INFO) << "=>Loading fast finetuned parameters: " << load_finetuned_params(*quantized, param) << " tensors from " << param;
  } else if (finetuned) {
    LOG(WARNING) << "Fast finetuned parameters are not loaded (add --fast_finetune); " << xm
                 << " holds them already, so the evaluation below uses them";
  }
  auto lowered = lower_to_fix_form(*quantized);
  auto data = open_images(o, o.data_dir, o.val_list);
  auto indices = pick(*data, o);
  check_input_geometry(*prepared, *data, indices, o.preprocess);
  engine::DpuExecutor dpu(*lowered);
  std::unique_ptr<engine::FloatExecutor> probe;
  if (o.compare_float) probe = std::make_unique<engine::FloatExecutor>(*original);  // the user's model, unprepared
  LOG(INFO) << "Quantization test process start up: DPU integer evaluation of " << xm << " on " << indices.size() << " images";
  Classifier model = dpu_classifier(dpu);
  OutputAgreement versus_float;
  std::size_t labels_per_image = 1;
  // --mask_dir: score maps against ground truth, int8 (and float with --compare_float); batches come in
  // the order of `indices`.
  std::unique_ptr<MaskScorer> int8_masks, float_masks;
  std::size_t scored = 0;
  if (!o.mask_dir.empty()) {
    int8_masks = std::make_unique<MaskScorer>(o.mask_dir, o.preprocess);
    if (o.compare_float) float_masks = std::make_unique<MaskScorer>(o.mask_dir, o.preprocess);
  }
  auto score_masks = [&](const engine::FloatTensor& q, const engine::FloatTensor* f) {
    if (!int8_masks) return;
    if (q.shape.size() != 4) throw std::runtime_error("--mask_dir needs a model whose output is a score map [N, H, W, classes]");
    const int n = q.shape[0], h = q.shape[1], w = q.shape[2], c = q.shape[3];
    const std::size_t per = static_cast<std::size_t>(h) * w * c;
    for (int i = 0; i < n; ++i) {
      const std::string image = data->name(indices.at(scored + static_cast<std::size_t>(i)));
      int8_masks->add(image, q.data.data() + i * per, h, w, c);
      if (f) float_masks->add(image, f->data.data() + i * per, h, w, c);
    }
    scored += static_cast<std::size_t>(n);
  };
  if (int8_masks && !o.compare_float)
    model = [&, int8 = dpu_classifier(dpu)](const engine::FloatTensor& batch) {
      engine::FloatTensor q = int8(batch);
      score_masks(q, nullptr);
      return q;
    };
  if (o.compare_float) {
    model = [&, int8 = dpu_classifier(dpu)](const engine::FloatTensor& batch) {
      engine::FloatTensor q = int8(batch);
      engine::FloatTensor f = std::move(probe->run({&batch})[0]);
      score_masks(q, &f);
      versus_float.add(f, q);
      labels_per_image = q.data.size() / static_cast<std::size_t>(q.shape.back()) / static_cast<std::size_t>(batch.shape[0]);
      return q;
    };
  }
  EvalResult r = evaluate(*data, indices, o.preprocess, model, o.batch_size, "int8 (DPU) evaluation");
  if (o.compare_float && versus_float.labels) {
    if (labels_per_image == 1)
      std::printf("Float/int8 top-1 agreement: %.4f%% (%zu images), logit SQNR: %.2f dB\n", versus_float.agreement_percent(),
                  versus_float.labels, versus_float.sqnr_db());
    else  // a score map: the label of every pixel
      std::printf("Float/int8 per-pixel label agreement: %.4f%% (%zu images x %zu pixels), score SQNR: %.2f dB\n",
                  versus_float.agreement_percent(), versus_float.labels / labels_per_image, labels_per_image, versus_float.sqnr_db());
    const std::string margins = versus_float.margin_summary(labels_per_image == 1 ? "image" : "pixel");
    if (!margins.empty()) std::printf("%s\n", margins.c_str());
  } else {
    std::printf("int8 (DPU) evaluation: %.1f images/s (%.1f images/s in the DPU arithmetic after the first batch, image decoding excluded)\n",
                r.images_per_second(), r.model_images_per_second());
  }
  if (int8_masks) {
    std::printf("mIoU against %s (%zu images): int8 %.2f%%", o.mask_dir.c_str(), int8_masks->images(), int8_masks->miou());
    if (float_masks) std::printf(", float %.2f%%", float_masks->miou());
    std::printf("\n");
  }
  // Per-layer SQNR on the first images, worst first.
  std::vector<std::size_t> first(indices.begin(), indices.begin() + static_cast<long>(std::min<std::size_t>(indices.size(), 4)));
  auto batch = make_batch(*data, first, o.preprocess);
  auto sqnr = layer_sqnr(*prepared, *lowered, dpu, batch.input);
  // The report (quant_report.html).
  QuantReport report;
  report.model = o.model;
  report.xmodel = xm;
  report.images = r.images;
  report.labelled = data->has_labels();
  report.int8_top1 = r.top1_percent();
  report.compared = o.compare_float && versus_float.labels > 0;
  report.agreement = versus_float.agreement_percent();
  report.logit_sqnr = versus_float.sqnr_db();
  report.by_margin = versus_float.by_margin;
  report.label_maps = versus_float.worst_image;
  if (!report.label_maps.float_labels.empty() && report.label_maps.image < indices.size())
    report.label_maps_image = data->name(indices[report.label_maps.image]);
  report.tensors = report_tensors(*quantized, *prepared, batch.input);
  for (const LayerSqnr& s : sqnr)
    for (ReportTensor& t : report.tensors)
      if (t.name == s.source && !t.has_act_sqnr) {
        t.act_sqnr = s.sqnr_db;
        t.has_act_sqnr = true;
      }
  {
    engine::FloatExecutor fexec(*prepared);
    const engine::FloatTensor f = std::move(fexec.run({&batch.input})[0]);
    const engine::FloatTensor q = dpu_classifier(dpu)(batch.input);
    const std::size_t stride = std::max<std::size_t>(1, f.data.size() / 3000);
    for (std::size_t i = 0; i < f.data.size() && i < q.data.size(); i += stride) report.logits.emplace_back(f.data[i], q.data[i]);
  }
  if (o.sensitivity) {
    std::vector<std::size_t> sens(indices.begin(), indices.begin() + static_cast<long>(std::min(indices.size(), o.sensitivity_len)));
    report.budget = add_sensitivity(report.tensors, xm, *prepared, *data, sens, o.preprocess, o.batch_size);
    report.sensitivity_images = sens.size();
    std::vector<const ReportTensor*> worst;
    for (const auto& t : report.tensors) worst.push_back(&t);
    std::sort(worst.begin(), worst.end(), [](const ReportTensor* a, const ReportTensor* b) { return a->sens_sqnr < b->sens_sqnr; });
    std::printf("Sensitivity (only one layer quantized, %zu images), worst first:\n", sens.size());
    for (std::size_t i = 0; i < worst.size() && i < 10; ++i) {
      const ReportTensor& t = *worst[i];
      std::printf("  %8.2f dB  %6.2f%% top-1 agreement  %s", t.sens_sqnr, t.sens_agreement, t.name.c_str());
      if (t.has_sens_split) std::printf("  (its output only %.2f dB, its parameters only %.2f dB)", t.sens_output_sqnr, t.sens_params_sqnr);
      std::printf("\n");
    }
    const ErrorBudget& b = report.budget;
    std::printf("Error budget (%zu images, output SQNR / top-1 agreement vs float): activations only %.2f dB / %.2f%%, "
                "parameters only %.2f dB / %.2f%%, both %.2f dB / %.2f%%\n",
                sens.size(), b.activations.sqnr_db, b.activations.agreement, b.parameters.sqnr_db, b.parameters.agreement, b.all.sqnr_db,
                b.all.agreement);
  }
  const std::string report_path = (fs::path(o.output_dir) / "quant_report.html").string();
  write_file_atomic(report_path, quant_report_html(report));
  LOG(INFO) << "=>Quantization report: " << report_path;
  std::printf("Per-layer SQNR of the int8 tensors vs float (first %zu images), worst first:\n", first.size());
  for (std::size_t i = 0; i < sqnr.size() && i < 10; ++i)
    std::printf("  %8.2f dB  fp %3d  %s\n", sqnr[i].sqnr_db, sqnr[i].fix_point, sqnr[i].op.c_str());
  if (sqnr.size() > 10) std::printf("  ... (%zu tensors; best %.2f dB)\n", sqnr.size(), sqnr.back().sqnr_db);
  print_result(r, data->has_labels());
  if (o.deploy) {
    // As vai_q_pytorch: the export wants batch 1 and one image; other values only warn.
    if (o.batch_size != 1 || o.subset_len != 1)
      LOG(WARNING) << "[QUANTIZER_TORCH_XMODEL_BATCHSIZE]: Batch size must be 1 when exporting xmodel. "
                      "(--deploy uses the first image; run with --subset_len 1 --batch_size 1 as the Vitis AI example does)";
    auto one = make_batch(*data, {indices.front()}, o.preprocess);
    const DeployResult d = export_deploy(*quantized, one.input, o.output_dir);
    std::printf("Deploy: %s\nDeploy check data: %zu tensors in %s\n", d.xmodel.c_str(), d.dumped_tensors, d.dump_dir.c_str());
    if (!d.torchscript.empty()) std::printf("TorchScript: %s\n", d.torchscript.c_str());
  }
  return 0;
}

}  // namespace

int run_quantize(const QuantizeOptions& o) {
  if (o.model.empty()) throw std::invalid_argument("--model is required");
  for (const auto& d : o.op_plugin_dirs) engine::add_op_plugin_dir(d);
  if (o.data_dir.empty()) throw std::invalid_argument("--data_dir is required");
  if (o.quant_mode == "float") return run_float(o);
  if (o.quant_mode == "calib") return run_calib(o);
  if (o.quant_mode == "test") return run_test(o);
  throw std::invalid_argument("--quant_mode must be float, calib or test (got '" + o.quant_mode + "')");
}

}  // namespace dputk
