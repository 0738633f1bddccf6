#include "dputk/data/preprocess.hpp"

#include <opencv2/imgproc.hpp>

#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "dputk/data/image_header.hpp"

namespace dputk {

Preprocess Preprocess::preset(const std::string& name) {
  Preprocess p;
  const std::array<float, 3> imagenet_mean{0.485f, 0.456f, 0.406f}, imagenet_std{0.229f, 0.224f, 0.225f};
  if (name == "torchvision") {
    p.resize = 256;
    p.crop = 224;
    p.mean = imagenet_mean;
    p.std = imagenet_std;
  } else if (name == "inception") {
    p.resize = 256;
    p.crop = 224;
    p.mean = {0.5f, 0.5f, 0.5f};
    p.std = {0.5f, 0.5f, 0.5f};
  } else if (name == "cifar") {
    p.mean = imagenet_mean;
    p.std = imagenet_std;
  } else if (name == "mnist") {
    // x / 255, no mean/std
  } else if (name == "deeplab") {
    // TF DeepLab (../shared/data/segmentation): x = (p - 128) / 128 on 513 x 513
    p.resize = 513;
    p.crop = 513;
    p.mean = {128.0f / 255, 128.0f / 255, 128.0f / 255};
    p.std = {128.0f / 255, 128.0f / 255, 128.0f / 255};
  } else {
    throw std::invalid_argument("unknown preprocessing preset '" + name + "' (torchvision, inception, cifar, mnist, deeplab)");
  }
  return p;
}

std::vector<std::string> Preprocess::preset_names() { return {"torchvision", "inception", "cifar", "mnist", "deeplab"}; }

std::string Preprocess::describe() const {
  std::ostringstream os;
  os << "resize " << (resize ? std::to_string(resize) : "none") << ", crop " << (crop ? std::to_string(crop) : "none")
     << ", x*" << scale << ", mean (" << mean[0] << ", " << mean[1] << ", " << mean[2] << "), std (" << std[0] << ", " << std[1]
     << ", " << std[2] << "), " << (bgr ? "BGR" : "RGB") << ", " << (layout == Layout::NHWC ? "NHWC" : "NCHW");
  return os.str();
}

namespace {

// torchvision Resize(int): the shorter side becomes `resize`, the longer int(resize * long / short).
// Refuses results beyond kMaxImagePixels, the loaders' cap (an absurd aspect ratio would otherwise
// allocate gigabytes).
std::array<int, 2> resized_hw(int h, int w, const Preprocess& p) {
  if (p.resize <= 0) return {h, w};
  if (h <= 0 || w <= 0) throw std::runtime_error("empty image (" + std::to_string(w) + "x" + std::to_string(h) + ")");
  long long nh, nw;
  if (h <= w) {
    nh = p.resize;
    nw = static_cast<long long>(p.resize) * w / h;
  } else {
    nw = p.resize;
    nh = static_cast<long long>(p.resize) * h / w;
  }
  if (static_cast<std::uint64_t>(nh * nw) > kMaxImagePixels)
    throw std::runtime_error("image of " + std::to_string(w) + "x" + std::to_string(h) + " would be resized to " + std::to_string(nw) +
                             "x" + std::to_string(nh) + ": aspect ratio too extreme");
  return {static_cast<int>(nh), static_cast<int>(nw)};
}

}  // namespace

cv::Mat resize_and_crop(const cv::Mat& image, const Preprocess& p, bool nearest) {
  cv::Mat img = image;
  if (p.resize > 0) {
    const int h = img.rows, w = img.cols;
    const auto [nh, nw] = resized_hw(h, w, p);
    if (nh != h || nw != w) {
      cv::Mat out;
      // Bilinear when enlarging; area averaging when shrinking (closer to PIL's antialiased bilinear).
      cv::resize(img, out, cv::Size(nw, nh), 0, 0, nearest ? cv::INTER_NEAREST : (nh > h) ? cv::INTER_LINEAR : cv::INTER_AREA);
      img = out;
    }
  }
  if (p.crop > 0) {
    if (img.rows < p.crop || img.cols < p.crop)
      throw std::runtime_error("image of " + std::to_string(img.cols) + "x" + std::to_string(img.rows) + " is smaller than the crop " +
                               std::to_string(p.crop));
    // torchvision CenterCrop: offsets int(round((size - crop) / 2)) with Python's half-to-even round.
    const int top = static_cast<int>(std::nearbyint((img.rows - p.crop) / 2.0));
    const int left = static_cast<int>(std::nearbyint((img.cols - p.crop) / 2.0));
    img = img(cv::Rect(left, top, p.crop, p.crop));
  }
  return img;
}

std::array<int, 3> output_hwc(const cv::Mat& image, const Preprocess& p) {
  auto [h, w] = resized_hw(image.rows, image.cols, p);
  if (p.crop > 0) h = w = p.crop;
  return {h, w, image.channels()};
}

void check_preprocessed_size(const cv::Mat& image, const Preprocess& p, const std::vector<std::int32_t>& nhwc, const std::string& image_name,
                             const std::string& input) {
  const auto hwc = output_hwc(image, p);
  if (nhwc.size() == 4 && hwc[0] == nhwc[1] && hwc[1] == nhwc[2] && hwc[2] == nhwc[3]) return;
  auto dims = [](int w, int h, int c) { return std::to_string(w) + "x" + std::to_string(h) + "x" + std::to_string(c); };
  throw std::runtime_error(image_name + ": preprocessed to " + dims(hwc[1], hwc[0], hwc[2]) + " (" + p.describe() + ") but " + input + " is " +
                           (nhwc.size() == 4 ? dims(nhwc[2], nhwc[1], nhwc[3]) : "not an image") + " (W x H x C); set --preprocess or --resize/--crop");
}

void preprocess_into(const cv::Mat& image, const Preprocess& p, float* dst) {
  if (image.depth() != CV_8U || (image.channels() != 3 && image.channels() != 1))
    throw std::runtime_error("preprocess expects an 8-bit RGB or gray image");
  cv::Mat img = resize_and_crop(image, p);
  const int h = img.rows, w = img.cols, c = img.channels();
  for (int y = 0; y < h; ++y) {
    const unsigned char* row = img.ptr<unsigned char>(y);
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch) {
        const int src_ch = p.bgr && c == 3 ? 2 - ch : ch;  // images are RGB in memory
        const float v = (static_cast<float>(row[x * c + src_ch]) * p.scale - p.mean[ch]) / p.std[ch];
        if (p.layout == Preprocess::Layout::NHWC) dst[(static_cast<std::size_t>(y) * w + x) * c + ch] = v;
        else dst[(static_cast<std::size_t>(ch) * h + y) * w + x] = v;
      }
  }
}

}  // namespace dputk
