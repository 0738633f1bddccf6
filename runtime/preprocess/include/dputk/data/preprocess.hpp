// Image preprocessing as data: resize (shorter side), center crop, scale, mean/std, channel order,
// layout. Presets match the conventions of the models under ../shared/data and of torchvision.
#pragma once
#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dputk {

struct Preprocess {
  enum class Layout { NHWC, NCHW };
  int resize = 0;  // shorter side resized to this (bilinear), 0 = keep
  int crop = 0;    // center crop to crop × crop, 0 = keep
  float scale = 1.0f / 255.0f;  // pixel multiplier applied before mean/std
  // mean/std are given in the output channel order (RGB, or BGR when bgr is set).
  std::array<float, 3> mean{0.0f, 0.0f, 0.0f};
  std::array<float, 3> std{1.0f, 1.0f, 1.0f};
  bool bgr = false;  // channel order of the output
  Layout layout = Layout::NHWC;

  // torchvision (256/224, ImageNet mean/std), inception (256/224, mean 0.5 std 0.5),
  // cifar (no resize, ImageNet mean/std), mnist (x/255), deeplab (513/513, (p - 128) / 128). Throws
  // for any other name.
  static Preprocess preset(const std::string& name);
  static std::vector<std::string> preset_names();
  std::string describe() const;
};

// Geometry of one preprocessed image: {height, width, channels}.
std::array<int, 3> output_hwc(const cv::Mat& image, const Preprocess& p);
// Throws std::runtime_error naming `image_name`, both sizes and `input` (what reads the image, e.g. "the
// model input 'x'") unless `image` preprocesses to the H x W x C of the NHWC shape `nhwc`.
void check_preprocessed_size(const cv::Mat& image, const Preprocess& p, const std::vector<std::int32_t>& nhwc, const std::string& image_name,
                             const std::string& input);
// The geometric part (resize + crop), still 8-bit; `nearest` for label masks (no new values).
cv::Mat resize_and_crop(const cv::Mat& image, const Preprocess& p, bool nearest = false);
// Writes one preprocessed image (float, in p.layout) to dst.
void preprocess_into(const cv::Mat& image, const Preprocess& p, float* dst);

}  // namespace dputk
