// Segmentation scoring against ground-truth masks (--mask_dir): PASCAL VOC-style PNGs named like the
// images (<image stem>.png), palette colours or label indices per pixel, 255 / the VOC border colour
// ignored. Masks are brought to the model's input geometry as the images are (nearest neighbour).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dputk/data/preprocess.hpp"
#include "dputk/engine/float_tensor.hpp"

namespace dputk {

class MaskScorer {
 public:
  MaskScorer(std::string dir, const Preprocess& pre) : dir_(std::move(dir)), pre_(pre) {}
  // Adds one image's [H, W, classes] score map (NHWC slice) against the mask of `image_path`.
  void add(const std::string& image_path, const float* scores, int h, int w, int classes);
  // Mean intersection-over-union over the classes present in the masks or the predictions (percent).
  double miou() const;
  std::size_t images() const { return images_; }

 private:
  std::string dir_;
  Preprocess pre_;
  int classes_ = 0;
  std::vector<std::int64_t> confusion_;  // [truth][predicted]
  std::size_t images_ = 0;
};

// The label mask of one PNG (palette colours or indices; 255 = ignore), in the model's geometry.
std::vector<std::uint8_t> read_label_mask(const std::string& path, const Preprocess& pre, int h, int w);

}  // namespace dputk
