// The loop every pooling kernel shares (float and DPU integer): for each output element of a 2-D
// window op on NHWC data, fold the valid (non-padding) taps of its window, then emit the result.
#pragma once
#include <cstdint>

#include "dputk/engine/float_ref_kernels.hpp"

namespace dputk::engine::ref {

// Calls tap(pixel, ky, kx) for each valid (non-padding) tap of output position (n, oy, ox), where
// pixel is the NHWC offset of the input pixel (times channels: pixel * g.c is its first channel).
template <typename Tap>
inline void for_each_tap(const Window2d& g, int n, int oy, int ox, Tap tap) {
  for (int ky = 0; ky < g.kh; ++ky) {
    const int iy = oy * g.sh - g.pad_top + ky * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    for (int kx = 0; kx < g.kw; ++kx) {
      const int ix = ox * g.sw - g.pad_left + kx * g.dw;
      if (ix < 0 || ix >= g.w) continue;
      tap((static_cast<std::int64_t>(n) * g.h + iy) * g.w + ix, ky, kx);
    }
  }
}

// init() → accumulator; fold(acc, input_index); emit(output_index, acc, valid_tap_count).
template <typename Init, typename Fold, typename Emit>
void reduce_windows(const Window2d& g, Init init, Fold fold, Emit emit) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < g.n; ++n)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int ch = 0; ch < g.c; ++ch) {
          auto acc = init();
          int valid = 0;
          for_each_tap(g, n, oy, ox, [&](std::int64_t pixel, int, int) {
            fold(acc, pixel * g.c + ch);
            ++valid;
          });
          emit(((static_cast<std::int64_t>(n) * g.oh + oy) * g.ow + ox) * g.c + ch, acc, valid);
        }
}

}  // namespace dputk::engine::ref
