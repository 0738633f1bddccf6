#include "dputk/data/batch.hpp"

#include <exception>
#include <stdexcept>

namespace dputk {

Batch make_batch(const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& p) {
  Batch b;
  if (indices.empty()) return b;
  const int n = static_cast<int>(indices.size());
  std::vector<cv::Mat> images(indices.size());
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; ++i) {
    try {
      images[i] = data.load(indices[i]);
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  const auto hwc = output_hwc(images[0], p);
  if (p.layout == Preprocess::Layout::NHWC) b.input = engine::FloatTensor({n, hwc[0], hwc[1], hwc[2]});
  else b.input = engine::FloatTensor({n, hwc[2], hwc[0], hwc[1]});
  const std::size_t per = static_cast<std::size_t>(hwc[0]) * hwc[1] * hwc[2];
  for (int i = 0; i < n; ++i)
    if (output_hwc(images[i], p) != hwc)
      throw std::runtime_error(data.name(indices[i]) + ": preprocesses to a different size than the first image of the batch "
                               "(set --resize/--crop)");
#pragma omp parallel for schedule(dynamic)
  for (int i = 0; i < n; ++i) {
    try {
      preprocess_into(images[i], p, b.input.data.data() + per * i);
    } catch (const std::exception& e) {
#pragma omp critical
      if (!error) error = std::make_exception_ptr(std::runtime_error(data.name(indices[i]) + ": " + e.what()));
    }
  }
  if (error) std::rethrow_exception(error);
  for (std::size_t idx : indices) b.labels.push_back(data.label(idx));
  return b;
}

std::vector<std::vector<std::size_t>> batches_of(const std::vector<std::size_t>& indices, std::size_t n) {
  if (n == 0) throw std::invalid_argument("batches_of: batch size 0");
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t off = 0; off < indices.size(); off += n)
    out.emplace_back(indices.begin() + static_cast<long>(off), indices.begin() + static_cast<long>(std::min(indices.size(), off + n)));
  return out;
}

}  // namespace dputk
