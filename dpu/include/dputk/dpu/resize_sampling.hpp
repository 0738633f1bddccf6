// Where XIR's resize (and upsample-fix) samples its input along one axis — the op definition's words:
//   scale = align_corners && out > 1 ? (in − 1) / (out − 1) : in / out
//   pos(o) = half_pixel_centers ? (o + 0.5)·scale − 0.5 : o·scale          (clamped at 0)
//   NEAREST: lo = hi = min(in − 1, align_corners ? round(pos) : floor(pos))
//   BILINEAR: lo = floor(pos), hi = min(in − 1, lo + 1), lerp = pos − lo
// Header-only: the engine's resize kernels and the segment application (which also builds against
// Xilinx's VART, without our libraries) sample the same way.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

namespace dputk::dpu {

struct ResizeAxis {
  std::vector<int> lo, hi;
  std::vector<float> lerp;  // weight of hi (0 for NEAREST)
};

inline ResizeAxis resize_axis(int in, int out, bool bilinear, bool align_corners, bool half_pixel_centers) {
  ResizeAxis a;
  const float scale = align_corners && out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                               : static_cast<float>(in) / static_cast<float>(out);
  for (int o = 0; o < out; ++o) {
    float pos = half_pixel_centers ? (static_cast<float>(o) + 0.5f) * scale - 0.5f : static_cast<float>(o) * scale;
    if (pos < 0) pos = 0;
    if (!bilinear) {
      const int idx = std::min(in - 1, static_cast<int>(align_corners ? std::round(pos) : std::floor(pos)));
      a.lo.push_back(idx);
      a.hi.push_back(idx);
      a.lerp.push_back(0.0f);
    } else {
      const int top = std::min(in - 1, static_cast<int>(std::floor(pos)));
      a.lo.push_back(top);
      a.hi.push_back(std::min(in - 1, top + 1));
      a.lerp.push_back(pos - static_cast<float>(top));
    }
  }
  return a;
}

}  // namespace dputk::dpu
