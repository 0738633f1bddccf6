#include "dputk/quantizer/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include <chrono>
#include <stdexcept>

#include "dputk/data/batch.hpp"
#include "dputk/common/progress.hpp"

namespace dputk {

bool in_top_k(const float* logits, int classes, int label, int k) {
  if (label < 0 || label >= classes) return false;
  const float v = logits[label];
  int better = 0;
  for (int c = 0; c < classes; ++c)
    if (logits[c] > v || (logits[c] == v && c < label)) ++better;
  return better < k;
}

EvalResult evaluate(const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& preprocess,
                    const Classifier& model, int batch_size, const std::string& label) {
  if (batch_size < 1) throw std::invalid_argument("batch size must be at least 1");
  const bool labelled = data.has_labels();  // unlabelled images: only what the model callback measures (--compare_float)
  EvalResult r;
  Progress progress(label, indices.size());
  auto start = std::chrono::steady_clock::now();
  for (const auto& ids : batches_of(indices, static_cast<std::size_t>(batch_size))) {
    Batch b = make_batch(data, ids, preprocess);
    const auto m0 = std::chrono::steady_clock::now();
    engine::FloatTensor logits = model(b.input);
    if (r.images > 0) {  // the first batch warms up (not timed)
      r.model_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - m0).count();
      r.model_images += ids.size();
    }
    const int n = static_cast<int>(ids.size());
    if (logits.shape.empty() || logits.shape[0] != n)
      throw std::runtime_error("the model returned " + engine::shape_to_string(logits.shape) + " for a batch of " + std::to_string(n));
    const int classes = static_cast<int>(logits.numel() / n);
    if (logits.shape.size() > 2 && classes != logits.shape.back()) r.score_map = engine::shape_to_string(logits.shape);
    for (int i = 0; labelled && r.score_map.empty() && i < n; ++i) {
      const float* row = logits.data.data() + static_cast<std::size_t>(i) * classes;
      r.top1 += in_top_k(row, classes, b.labels[i], 1);
      r.top5 += in_top_k(row, classes, b.labels[i], std::min(5, classes));
    }
    r.images += ids.size();
    progress.advance(ids.size());
  }
  progress.finish();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void OutputAgreement::add(const engine::FloatTensor& f, const engine::FloatTensor& q) {
  const std::size_t n = std::min(f.data.size(), q.data.size());
  const std::size_t classes = q.shape.empty() ? 1 : static_cast<std::size_t>(q.shape.back());
  // Score maps: each image's labels, kept when int8 changes more of them than in any image before.
  const bool maps = q.shape.size() == 4 && classes > 1 && classes <= 256;
  const std::size_t per_image = maps ? static_cast<std::size_t>(q.shape[1]) * static_cast<std::size_t>(q.shape[2]) : 0;
  LabelMaps image;
  auto image_done = [&]() {
    if (image.float_labels.empty()) return;
    if (worst_image.float_labels.empty() || image.differ > worst_image.differ) worst_image = std::move(image);
    image = LabelMaps();
  };
  for (std::size_t p = 0; classes && p + classes <= n; p += classes) {
    const float* fq = q.data.data() + p;
    const float* ff = f.data.data() + p;
    // float's top two in one pass (ties keep the lower index first, as max_element does)
    std::size_t top = 0, second = classes;
    for (std::size_t c = 1; c < classes; ++c)
      if (ff[c] > ff[top]) {
        second = top;
        top = c;
      } else if (second == classes || ff[c] > ff[second]) {
        second = c;
      }
    const auto int8_top = static_cast<std::size_t>(std::max_element(fq, fq + classes) - fq);
    const bool same = int8_top == top;
    agree += same;
    if (maps) {
      if (image.float_labels.empty()) {
        image.image = images + p / classes / per_image;
        image.height = q.shape[1];
        image.width = q.shape[2];
        image.float_labels.reserve(per_image);
        image.int8_labels.reserve(per_image);
      }
      image.float_labels.push_back(static_cast<std::uint8_t>(top));
      image.int8_labels.push_back(static_cast<std::uint8_t>(int8_top));
      image.differ += !same;
      if (image.float_labels.size() == per_image) image_done();
    }
    ++labels;
    if (second == classes) continue;  // one output: no margin
    const double margin = static_cast<double>(ff[top]) - ff[second], error = margin - (static_cast<double>(fq[top]) - fq[second]);
    MarginBin& bin = *std::find_if(by_margin.begin(), by_margin.end(), [margin](const MarginBin& b) { return margin < b.upper; });
    ++bin.labels;
    bin.disagree += !same;
    bin.error_sq += error * error;
  }
  images += q.shape.empty() ? 1 : static_cast<std::size_t>(q.shape[0]);
  for (std::size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(f.data[i]) - q.data[i];
    signal += static_cast<double>(f.data[i]) * f.data[i];
    noise += d * d;
  }
}

std::vector<MarginBin> OutputAgreement::margin_bins() {
  std::vector<MarginBin> bins;
  for (double upper = 0.125; upper <= 8.0; upper *= 2.0) bins.push_back({upper});
  bins.push_back({std::numeric_limits<double>::infinity()});
  return bins;
}

std::string margin_bin_label(const std::vector<MarginBin>& bins, std::size_t i) {
  std::ostringstream s;
  if (std::isinf(bins[i].upper))
    s << ">= " << (i ? bins[i - 1].upper : 0.0);
  else
    s << "< " << bins[i].upper;
  return s.str();
}

std::string OutputAgreement::margin_summary(const char* item) const {
  std::size_t all = 0;
  double error_sq = 0.0;
  for (const MarginBin& b : by_margin) all += b.labels, error_sq += b.error_sq;
  if (!all) return {};
  std::ostringstream s;
  s << std::fixed << std::setprecision(2) << "Disagreement by the float top-2 margin (" << item << "s in the bin, of them differing):";
  for (std::size_t i = 0; i < by_margin.size(); ++i) {
    const MarginBin& b = by_margin[i];
    if (!b.labels) continue;
    s << " " << margin_bin_label(by_margin, i) << ": " << 100.0 * static_cast<double>(b.labels) / static_cast<double>(all) << "% / "
      << 100.0 * static_cast<double>(b.disagree) / static_cast<double>(b.labels) << "%;";
  }
  s << " int8 error of the margin " << std::sqrt(error_sq / static_cast<double>(all)) << " rms";
  return s.str();
}

double OutputAgreement::sqnr_db() const { return noise > 0.0 ? 10.0 * std::log10(std::max(signal, 1e-300) / noise) : 200.0; }

FloatReference::FloatReference(const xir::Graph& float_graph, const Dataset& data, const std::vector<std::size_t>& indices,
                               const Preprocess& preprocess, int batch_size) {
  engine::FloatExecutor exec(float_graph);
  for (const auto& ids : batches_of(indices, static_cast<std::size_t>(batch_size))) {
    batches_.push_back(make_batch(data, ids, preprocess));
    want_.push_back(std::move(exec.run({&batches_.back().input})[0]));
  }
}

OutputAgreement FloatReference::compare(const xir::Graph& graph, const engine::FloatExecutorOptions& options) const {
  engine::FloatExecutor exec(graph, options);
  OutputAgreement a;
  for (std::size_t k = 0; k < batches_.size(); ++k) a.add(want_[k], exec.run({&batches_[k].input})[0]);
  return a;
}

}  // namespace dputk
