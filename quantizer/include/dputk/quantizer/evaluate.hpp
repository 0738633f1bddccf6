// Top-1 / top-5 evaluation of a classifier over a dataset subset, in batches, with progress.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dputk/data/batch.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/engine/float_tensor.hpp"
#include "dputk/data/preprocess.hpp"
#include "xir/graph/graph.hpp"

namespace dputk {

struct EvalResult {
  std::size_t images = 0, top1 = 0, top5 = 0;
  double seconds = 0.0;
  // Time in the model after its first batch (which also builds its kernels), and the images of it:
  // throughput as benchmarks measure it, image decoding and preprocessing excluded.
  double model_seconds = 0.0;
  std::size_t model_images = 0;
  // The output has more than one score vector per image (a segmentation map, [N, H, W, C]): image
  // class labels do not apply to it, so there is no top-1 / top-5 (shape as the model gave it).
  std::string score_map;
  double top1_percent() const { return images ? 100.0 * static_cast<double>(top1) / static_cast<double>(images) : 0.0; }
  double top5_percent() const { return images ? 100.0 * static_cast<double>(top5) / static_cast<double>(images) : 0.0; }
  double images_per_second() const { return seconds > 0 ? static_cast<double>(images) / seconds : 0.0; }
  double model_images_per_second() const { return model_seconds > 0 ? static_cast<double>(model_images) / model_seconds : 0.0; }
};

// A model: one preprocessed batch in, one [N, classes] logits tensor out.
using Classifier = std::function<engine::FloatTensor(const engine::FloatTensor& batch)>;

EvalResult evaluate(const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                    const Classifier& model, int batch_size, const std::string& label = "evaluating");

// How closely a quantized model's outputs follow the float model's: the argmax along the last axis
// (one label per image for [N, K] logits, one per pixel for an NHWC score map) and the SQNR of all
// values. Used by test mode's --compare_float, the ReLU6 policy trials and the sensitivity analysis.
//
// Where the labels differ, by how sure the float model is: every label (image, pixel) binned by the
// float output's margin between its two largest values, with the int8 error of that margin. Where the
// top two are close, a small error flips the label; how many labels sit there is the data's doing
// (DeepLabV3 on ImageNet photos: 15% of pixels within 1.0), how large the error is the quantization's.
struct MarginBin {
  double upper;  // the bin holds margins in [the previous bin's upper, upper)
  std::size_t labels = 0, disagree = 0;
  double error_sq = 0.0;  // Σ (float margin − int8 difference of the same two outputs)²
};
// A score map's labels of one image, float and int8 (row-major height × width; classes ≤ 256).
struct LabelMaps {
  std::size_t image = 0;  // its place among the images added
  int height = 0, width = 0;
  std::size_t differ = 0;  // pixels whose labels differ
  std::vector<std::uint8_t> float_labels, int8_labels;
};
struct OutputAgreement {
  std::size_t agree = 0, labels = 0;
  double signal = 0.0, noise = 0.0;
  std::vector<MarginBin> by_margin = margin_bins();
  std::size_t images = 0;
  LabelMaps worst_image;  // score maps (≤ 256 classes): the image whose labels int8 changes most; empty for logits
  void add(const engine::FloatTensor& reference, const engine::FloatTensor& quantized);
  double agreement_percent() const { return labels ? 100.0 * static_cast<double>(agree) / static_cast<double>(labels) : 0.0; }
  double sqnr_db() const;
  // "Disagreement by the float top-2 margin: …" (test mode's --compare_float line); empty for one-output models.
  std::string margin_summary(const char* item) const;
  static std::vector<MarginBin> margin_bins();  // upper edges 1/8, 1/4, …, 8, ∞
};
// A bin's range as the margin line and the report print it: "< 0.125", …, ">= 8".
std::string margin_bin_label(const std::vector<MarginBin>& bins, std::size_t i);

// A float model's outputs on some images, kept with the preprocessed batches, to compare variants of
// it with (the auto choices' candidates, the sensitivity analysis' one-layer-quantized networks).
class FloatReference {
 public:
  FloatReference(const xir::Graph& float_graph, const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                 int batch_size);
  // `graph` (e.g. a quantizer form, its fix ops fake-quantizing) on the same batches against the float outputs.
  OutputAgreement compare(const xir::Graph& graph, const engine::FloatExecutorOptions& options = {}) const;

 private:
  std::vector<Batch> batches_;
  std::vector<engine::FloatTensor> want_;
};

// Whether label is among the k largest logits (ties count in favour of lower indices).
bool in_top_k(const float* logits, int classes, int label, int k);

}  // namespace dputk
