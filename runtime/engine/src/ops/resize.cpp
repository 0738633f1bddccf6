// resize (float) and upsample-fix (int8): NHWC, H and W resampled as XIR's resize definition states
// (positions: dputk/dpu/resize_sampling.hpp), bilinear as
//   (tl * (1 - xl) + tr * xl) * (1 - yl) + (bl * (1 - xl) + br * xl) * yl
// One sampling routine serves both kernels: the int8 kernel interpolates the integers with the same
// float operations, so upsample-fix equals the float resize of dequantized values followed by a fix
// with DPU_ROUND (what the quantizer's test mode computes), bit for bit.
#include <cmath>

#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/resize_sampling.hpp"
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

namespace {

struct Sampling {
  bool bilinear = false;
  bool align = false;
  bool half = false;
};

Sampling read_sampling(const xir::Op& op) {
  Sampling s;
  const std::string mode = op.get_attr<std::string>("mode");
  if (mode != "NEAREST" && mode != "BILINEAR") dpu::op_fail(op, "resize mode '" + mode + "' is not supported (NEAREST, BILINEAR)");
  s.bilinear = mode == "BILINEAR";
  s.align = op.get_attr_or<bool>("align_corners", false);
  s.half = op.get_attr_or<bool>("half_pixel_centers", false);
  return s;
}

// Resamples NHWC `in` into `out` (shapes [N, H, W, C]); `emit(i, value)` stores output element i.
template <typename T, typename Emit>
void resample(const T* in, const std::vector<std::int32_t>& is, const std::vector<std::int32_t>& os, const Sampling& s,
              Emit emit) {
  const int n = is[0], ih = is[1], iw = is[2], c = is[3], oh = os[1], ow = os[2];
  const dpu::ResizeAxis ya = dpu::resize_axis(ih, oh, s.bilinear, s.align, s.half);
  const dpu::ResizeAxis xa = dpu::resize_axis(iw, ow, s.bilinear, s.align, s.half);
  std::int64_t i = 0;
  for (int b = 0; b < n; ++b) {
    const T* img = in + static_cast<std::int64_t>(b) * ih * iw * c;
    for (int y = 0; y < oh; ++y) {
      const T* top = img + static_cast<std::int64_t>(ya.lo[y]) * iw * c;
      const T* bot = img + static_cast<std::int64_t>(ya.hi[y]) * iw * c;
      const float yl = ya.lerp[y];
      for (int x = 0; x < ow; ++x) {
        const T* tl = top + static_cast<std::int64_t>(xa.lo[x]) * c;
        if (!s.bilinear) {
          for (int k = 0; k < c; ++k) emit(i++, static_cast<float>(tl[k]));
          continue;
        }
        const T* tr = top + static_cast<std::int64_t>(xa.hi[x]) * c;
        const T* bl = bot + static_cast<std::int64_t>(xa.lo[x]) * c;
        const T* br = bot + static_cast<std::int64_t>(xa.hi[x]) * c;
        const float xl = xa.lerp[x];
        for (int k = 0; k < c; ++k) {
          const float t = static_cast<float>(tl[k]) * (1.0f - xl) + static_cast<float>(tr[k]) * xl;
          const float u = static_cast<float>(bl[k]) * (1.0f - xl) + static_cast<float>(br[k]) * xl;
          emit(i++, t * (1.0f - yl) + u * yl);
        }
      }
    }
  }
}

void check_rank(const xir::Op& op) {
  if (op.get_input_tensor("input")->get_shape().size() != 4) dpu::op_fail(op, "resizes 4-D NHWC feature maps only");
}

}  // namespace

void register_resize(OpRegistry& r) {
  r.add_float("resize", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    check_rank(a.op);
    const Sampling s = read_sampling(a.op);
    return float_lambda([s](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      float* o = out.data.data();
      resample(in[0]->data.data(), in[0]->shape, out.shape, s, [o](std::int64_t i, float v) { o[i] = v; });
    });
  });
  r.add_fix("upsample-fix", KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
    check_rank(a.op);
    const Sampling s = read_sampling(a.op);
    return [s](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
      const int fi = in[0]->fix_point, fo = out.fix_point;
      std::int8_t* o = out.data.data();
      resample(in[0]->data.data(), in[0]->shape, out.shape, s,
               [o, fi, fo](std::int64_t i, float v) { o[i] = dpu::resize_output(v, fi, fo); });
    };
  });
}

}  // namespace dputk::engine
