#include "dputk/quantizer/seg_masks.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <map>
#include <stdexcept>

#include "dputk/data/voc_palette.hpp"

namespace dputk {

namespace {
// A PASCAL VOC palette colour's label (255: the border), or -1.
int voc_label(const cv::Vec3b& bgr) {
  static const std::map<int, int> by_colour = [] {
    std::map<int, int> m;
    for (int l = 0; l < 256; ++l) {
      const auto rgb = voc_rgb(l);
      m.emplace((rgb[0] << 16) | (rgb[1] << 8) | rgb[2], l);
    }
    return m;
  }();
  auto it = by_colour.find((bgr[2] << 16) | (bgr[1] << 8) | bgr[0]);
  return it == by_colour.end() ? -1 : it->second;
}
}  // namespace

std::vector<std::uint8_t> read_label_mask(const std::string& path, const Preprocess& pre, int h, int w) {
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) throw std::runtime_error(path + ": mask not found or not an image");
  cv::Mat labels(m.rows, m.cols, CV_8UC1);
  if (m.channels() == 1 && m.depth() == CV_8U) {
    labels = m;
  } else if (m.channels() >= 3 && m.depth() == CV_8U) {
    cv::Mat bgr;
    if (m.channels() == 4) cv::cvtColor(m, bgr, cv::COLOR_BGRA2BGR);
    else bgr = m;
    for (int y = 0; y < bgr.rows; ++y)
      for (int x = 0; x < bgr.cols; ++x) {
        const int l = voc_label(bgr.at<cv::Vec3b>(y, x));
        if (l < 0) {
          const cv::Vec3b c = bgr.at<cv::Vec3b>(y, x);
          throw std::runtime_error(path + ": pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") has colour RGB(" +
                                   std::to_string(c[2]) + ", " + std::to_string(c[1]) + ", " + std::to_string(c[0]) +
                                   "), not a PASCAL VOC palette colour");
        }
        labels.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(l);
      }
  } else {
    throw std::runtime_error(path + ": a mask must be an 8-bit palette/colour or single-channel label image");
  }
  // The image's geometry (shorter side resized, centre crop) with nearest neighbour: labels stay labels.
  const cv::Mat g = resize_and_crop(labels, pre, true);
  if (g.rows != h || g.cols != w)
    throw std::runtime_error(path + ": mask is " + std::to_string(g.cols) + "x" + std::to_string(g.rows) + " after preprocessing, the model's output " +
                             std::to_string(w) + "x" + std::to_string(h));
  std::vector<std::uint8_t> out(static_cast<std::size_t>(h) * w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) out[static_cast<std::size_t>(y) * w + x] = g.at<std::uint8_t>(y, x);
  return out;
}

void MaskScorer::add(const std::string& image_path, const float* scores, int h, int w, int classes) {
  const std::string mask = (std::filesystem::path(dir_) / (std::filesystem::path(image_path).stem().string() + ".png")).string();
  const auto truth = read_label_mask(mask, pre_, h, w);
  if (classes_ == 0) {
    classes_ = classes;
    confusion_.assign(static_cast<std::size_t>(classes) * classes, 0);
  }
  for (std::size_t p = 0; p < truth.size(); ++p) {
    if (truth[p] == 255) continue;
    if (truth[p] >= classes_) throw std::runtime_error(mask + ": label " + std::to_string(truth[p]) + " is not one of the model's " + std::to_string(classes_) + " classes");
    const float* s = scores + p * static_cast<std::size_t>(classes);
    int best = 0;
    for (int k = 1; k < classes; ++k)
      if (s[k] > s[best]) best = k;
    ++confusion_[static_cast<std::size_t>(truth[p]) * classes_ + best];
  }
  ++images_;
}

double MaskScorer::miou() const {
  double sum = 0;
  int n = 0;
  for (int c = 0; c < classes_; ++c) {
    std::int64_t tp = confusion_[static_cast<std::size_t>(c) * classes_ + c], fp = 0, fn = 0;
    for (int k = 0; k < classes_; ++k) {
      if (k == c) continue;
      fn += confusion_[static_cast<std::size_t>(c) * classes_ + k];
      fp += confusion_[static_cast<std::size_t>(k) * classes_ + c];
    }
    if (tp + fp + fn == 0) continue;  // a class neither present nor predicted
    sum += static_cast<double>(tp) / static_cast<double>(tp + fp + fn);
    ++n;
  }
  return n ? 100.0 * sum / n : 0.0;
}

}  // namespace dputk
