// The command line of dpu-quantize and resnet50_quant (the flags of Vitis AI's resnet50_quant.py).
#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <iostream>

#include "dputk/common/memory.hpp"
#include "dputk/quantizer/quantize_options.hpp"

namespace dputk {

namespace {
// What a vai_q_pytorch user reads: every log line starts with [VAIQ_NOTE] / [VAIQ_WARN] / [VAIQ_ERROR]
// (glog's prefix callback; the result lines on stdout are plain).
void vaiq_prefix(std::ostream& s, const google::LogMessageInfo& l, void*) {
  const std::string severity = l.severity;
  s << (severity == "INFO" ? "[VAIQ_NOTE]:" : severity == "WARNING" ? "[VAIQ_WARN]:" : "[VAIQ_ERROR]:");
}
}  // namespace

int quantize_main(int argc, char** argv, const std::string& description, const std::string& default_model) {
  rerun_with_huge_page_malloc(argv);
  google::InitGoogleLogging(argv[0], &vaiq_prefix, nullptr);
  FLAGS_logtostderr = true;
  keep_freed_memory();
  dputk::QuantizeOptions o;
  o.model = default_model;
  std::string preset = "torchvision";
  std::vector<float> mean, stdv;
  int resize = -1, crop = -1;
  CLI::App app{description, argv[0]};
  auto* model_opt = app.add_option("--model", o.model, "Float model (.onnx)");
  if (default_model.empty()) model_opt->required();
  app.add_option("--data_dir", o.data_dir,
                 "Evaluation data: ImageFolder directory, directory + --val_list, CIFAR-10 binary batch, or MNIST idx images file")
      ->required();
  app.add_option("--val_list", o.val_list, "List file of '<file> <class_index>' lines for --data_dir");
  app.add_option("--calib_dir", o.calib_dir, "Calibration data (default: --data_dir)");
  app.add_option("--calib_list", o.calib_list, "List file for --calib_dir");
  app.add_option("--quant_mode", o.quant_mode, "float: evaluate the float model; calib: calibrate; test: evaluate quantized")
      ->check(CLI::IsMember({"float", "calib", "test"}));
  app.add_option("--subset_len", o.subset_len, "Use this many images (default: all)");
  app.add_option("--skip", o.skip, "Leave out the first N images in the sampling order (e.g. calibrate on the first 500, test on the rest; with --sample_method random, the same seed's first N)");
  app.add_option("--batch_size", o.batch_size, "Batch size")->check(CLI::PositiveNumber);
  app.add_option("--config_file", o.config_file, "Quantization config (Vitis AI Quant_Config JSON)");
  app.add_option("--op-plugin-dir", o.op_plugin_dirs,
                 "directory with custom-op plugins libvart_op_imp_<op type>.so: such ops stay in float for the CPU")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--fast_finetune", o.fast_finetune,
               "calib: AdaQuant-style tuning of weights and biases after calibration (writes param.pth); test: load them");
  app.add_option("--ft_subset_len", o.ft_subset_len, "Images fast finetune tunes on (the first of the calibration images)")
      ->check(CLI::PositiveNumber);
  app.add_option("--ft_values_dir", o.ft_values_dir,
                 "Directory fast finetune keeps the values of its images in, as temporary files (default: $TMPDIR or /tmp; "
                 "memory then holds only the part it works on)")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--skip_bad_images", o.skip_bad_images,
               "Leave out images that cannot be decoded (truncated, corrupt) and count them, instead of stopping at the first");
  app.add_flag("--deploy", o.deploy, "Export the quantized xmodel (test mode, batch 1)");
  app.add_flag("--compare_float", o.compare_float,
               "Test mode: also run the float model; report top-1 agreement (per pixel for score maps), SQNR and the labels "
               "that differ by the float top-2 margin; images need no labels");
  app.add_flag("--sensitivity", o.sensitivity,
               "Test mode: per layer, the network output with only that layer quantized against float (worst first; in quant_report.html)");
  app.add_option("--sensitivity_len", o.sensitivity_len, "Images the sensitivity analysis runs on (the first test images)")
      ->check(CLI::PositiveNumber);
  app.add_option("--mask_dir", o.mask_dir,
                 "Test mode, segmentation: ground-truth masks <image stem>.png (PASCAL VOC palette or label indices, 255 ignored); reports mIoU")
      ->check(CLI::ExistingDirectory);
  app.add_option("--output_dir", o.output_dir, "Output directory");
  app.add_option("--sample_method", o.sample_method, "How --subset_len picks images")->check(CLI::IsMember({"sequential", "random"}));
  app.add_option("--seed", o.seed, "Seed for random sampling");
  app.add_option("--preprocess", preset, "Preset: torchvision, inception, cifar, mnist, deeplab")
      ->check(CLI::IsMember(dputk::Preprocess::preset_names()));
  app.add_option("--mean", mean, "Per-channel mean (overrides the preset)")->expected(3);
  app.add_option("--std", stdv, "Per-channel std (overrides the preset)")->expected(3);
  app.add_option("--resize", resize, "Resize the shorter side to N (0 = no resize; overrides the preset)");
  app.add_option("--crop", crop, "Center crop N x N (0 = no crop; overrides the preset)");
  CLI11_PARSE(app, argc, argv);
  try {
    o.preprocess = dputk::Preprocess::preset(preset);
    if (mean.size() == 3) o.preprocess.mean = {mean[0], mean[1], mean[2]};
    if (stdv.size() == 3) o.preprocess.std = {stdv[0], stdv[1], stdv[2]};
    if (resize >= 0) o.preprocess.resize = resize;
    if (crop >= 0) o.preprocess.crop = crop;
    return dputk::run_quantize(o);
  } catch (const std::exception& e) {
    LOG(ERROR) << app.get_name() << ": error: " << e.what();
    return 2;
  }
}

}  // namespace dputk
