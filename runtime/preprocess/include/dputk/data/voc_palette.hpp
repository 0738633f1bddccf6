// The PASCAL VOC colour palette of segmentation label maps (SegmentationClass PNGs, DeepLab's
// visualisation): label l's bits spread over R, G, B from the high bit down; 255 (the border) is
// (224, 224, 192). Used by the segment app (label maps), --mask_dir (ground truth) and the tests.
#pragma once
#include <array>
#include <cstdint>

namespace dputk {

inline std::array<std::uint8_t, 3> voc_rgb(int label) {
  if (label == 255) return {224, 224, 192};
  int r = 0, g = 0, b = 0;
  for (int shift = 7; label > 0; --shift, label >>= 3) {
    r |= (label & 1) << shift;
    g |= ((label >> 1) & 1) << shift;
    b |= ((label >> 2) & 1) << shift;
  }
  return {static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(g), static_cast<std::uint8_t>(b)};
}

// The same colour in OpenCV's BGR order (what cv::Vec3b pixels of a colour image hold).
inline std::array<std::uint8_t, 3> voc_bgr(int label) {
  const auto rgb = voc_rgb(label);
  return {rgb[2], rgb[1], rgb[0]};
}

// The class names of PASCAL VOC's 21 labels (DeepLab).
constexpr const char* kVocClasses[21] = {"background", "aeroplane", "bicycle", "bird",  "boat",        "bottle", "bus",
                                         "car",        "cat",       "chair",   "cow",   "diningtable", "dog",    "horse",
                                         "motorbike",  "person",    "pottedplant", "sheep", "sofa",    "train",  "tvmonitor"};

}  // namespace dputk
