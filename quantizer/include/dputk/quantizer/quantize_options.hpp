// What `dpu-quantize` (and the resnet50_quant entry point) is asked to do — the flags of
// Vitis AI's resnet50_quant.py walkthrough, as data.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "dputk/data/preprocess.hpp"

namespace dputk {

struct QuantizeOptions {
  std::string model;                 // --model FILE.onnx
  std::string data_dir;              // --data_dir (ImageFolder, folder + --val_list, CIFAR-10 bin, MNIST idx)
  std::string val_list;              // --val_list
  std::string calib_dir, calib_list; // --calib_dir / --calib_list (default: the evaluation data)
  std::string quant_mode = "calib";  // float | calib | test
  std::size_t subset_len = 0;        // 0 = the whole set
  std::size_t skip = 0;              // leave out the first N images (calibrate on 0..N-1, test on the rest)
  int batch_size = 8;
  std::string config_file;
  std::vector<std::string> op_plugin_dirs;  // --op-plugin-dir: custom-op plugins (libvart_op_imp_<type>.so)
  bool fast_finetune = false;
  std::size_t ft_subset_len = 10;    // --ft_subset_len: images fast finetune tunes on (vai_q's loader has 10)
  std::string ft_values_dir;         // --ft_values_dir: where fast finetune holds its values (empty: the system's temp dir)
  bool deploy = false;
  bool skip_bad_images = false;      // leave out truncated / corrupt images (counted), instead of stopping
  bool compare_float = false;        // test mode: also run the float model, report top-1 agreement + logit SQNR
  bool sensitivity = false;          // test mode: per layer, the output with only that layer quantized (report)
  std::size_t sensitivity_len = 32;  // images the sensitivity analysis runs on (the first test images)
  std::string mask_dir;              // test mode: segmentation masks (<image stem>.png, VOC palette) → mIoU
  std::string output_dir = "quantize_result";
  std::string sample_method = "sequential";  // sequential | random
  unsigned seed = 0;
  Preprocess preprocess;             // preset + overrides, resolved by the CLI
};

// Runs the requested mode and prints its results (Accuracy / Top-5 lines). Returns the exit code.
// Throws std::runtime_error / std::invalid_argument with a message naming the file and the problem.
int run_quantize(const QuantizeOptions& options);

}  // namespace dputk
