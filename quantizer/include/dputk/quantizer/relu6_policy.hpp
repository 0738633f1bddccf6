// relu6_replace "auto" (the default): which ReLU6 policy a network is quantized with is decided by
// measurement, not by a key the user must know. Each candidate — "keep" (every ReLU6 stays;
// equalization crosses them where the clip does not bind), "keep_after_depthwise", "relu" (vai_q:
// every ReLU6 becomes ReLU, then equalization) — is prepared, calibrated and bias-corrected on the
// first calibration images, and the quantized network's output is compared with the original float
// model's on them (SQNR of the outputs, in dB); the best is kept. Networks without a ReLU6 skip this.
//
// Measured (calibrate on the first 100 of val_500, test on the other 400; int8 top-1, float in
// brackets): MobileNetV1 0.5/160 QAT keep 70.50%, keep_after_depthwise 66.25%, relu 44.50% (73.50%);
// MobileNetV1 0.25/128 keep 50.00%, 41.00%, 29.50% (55.25%); MobileNetV2 keep 77.25%, 76.25%,
// 64.50% (77.75%). The output SQNR ranks them the same way on the calibration images.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/quantizer/calibrate.hpp"
#include "dputk/quantizer/prepare.hpp"

namespace dputk {

struct Relu6Choice {
  std::string policy;                                    // keep | keep_after_depthwise | relu
  std::vector<std::pair<std::string, double>> sqnr_db;   // each candidate's output SQNR (empty: no ReLU6)
  std::size_t images = 0;
};

// The candidates are tried on the first `trial_images` of `indices`. `base` is the rest of the
// preparation (CLE, SiLU, the statistics callback is set here).
Relu6Choice choose_relu6_policy(const std::string& onnx_path, const PrepareOptions& base, const CalibOptions& calib,
                                bool bias_correction, const Dataset& data, const std::vector<std::size_t>& indices,
                                const Preprocess& preprocess, int batch_size, std::size_t trial_images = 32);

}  // namespace dputk
