// Resize (opset 10+) and Upsample (opset 7-9) → XIR resize. The XIR op samples the input the way its
// definition states (scale = in/out, or (in-1)/(out-1) with align_corners; half_pixel_centers shifts
// by half a pixel; NEAREST floors); the ONNX coordinate modes that mean the same are accepted, others
// are refused with the reason. A resize of a 1×1 map is a broadcast: NEAREST whatever the mode.
#include <cmath>

#include "converter.hpp"

namespace dputk::onnx_import {

namespace {

// A scale whose product with `in`, truncated as XIR's shape inference does in float, gives `out`.
float xir_scale(std::int64_t in, std::int64_t out) {
  float s = static_cast<float>(out) / static_cast<float>(in);
  if (static_cast<std::int64_t>(static_cast<float>(in) * s) == out) return s;
  return (static_cast<float>(out) + 0.5f) / static_cast<float>(in);
}

}  // namespace

void resize(Converter& c, const onnx::NodeProto& n) {
  const Value x = c.input(n, 0);
  if (!x.nhwc) c.fail(n, "resizes 4-D NCHW feature maps only");
  const auto in = x.onnx_shape();
  const bool upsample = n.op_type() == "Upsample";
  std::int64_t oh = 0, ow = 0;
  const int sizes_idx = 3, scales_idx = upsample ? 1 : (n.input_size() == 2 ? 1 : 2);  // opset 10 Resize: (X, scales)
  if (!upsample && c.has_input(n, sizes_idx) && c.get_const(n, sizes_idx).numel() > 0) {
    const auto sizes = c.get_const(n, sizes_idx).ints();
    if (sizes.size() != 4 || sizes[0] != in[0] || sizes[1] != in[1]) c.fail(n, "only the spatial size (H, W) may change");
    oh = sizes[2];
    ow = sizes[3];
  } else {
    std::vector<double> scales;
    if (c.has_input(n, scales_idx)) scales = c.get_const(n, scales_idx).values;
    else for (const auto& a : n.attribute()) if (a.name() == "scales") scales.assign(a.floats().begin(), a.floats().end());
    if (scales.size() != 4 || scales[0] != 1 || scales[1] != 1) c.fail(n, "needs scales (1, 1, scale_h, scale_w) or sizes");
    oh = static_cast<std::int64_t>(std::floor(static_cast<double>(in[2]) * scales[2]));
    ow = static_cast<std::int64_t>(std::floor(static_cast<double>(in[3]) * scales[3]));
  }
  if (oh <= 0 || ow <= 0) c.fail(n, "the output would be empty");
  if (attr_int(n, "antialias", 0) && (oh < in[2] || ow < in[3])) c.fail(n, "antialiased downscaling is not supported");
  if (!attr_ints(n, "axes", {}).empty()) c.fail(n, "the axes attribute is not supported");

  const std::string mode = attr_string(n, "mode", "nearest");
  const std::string coord = upsample ? "asymmetric" : attr_string(n, "coordinate_transformation_mode", "half_pixel");
  const std::string nearest_mode = attr_string(n, "nearest_mode", "round_prefer_floor");
  std::string xir_mode;
  bool align = false, half = false;
  if (in[2] == 1 && in[3] == 1) {
    xir_mode = "NEAREST";  // every output pixel is the one input pixel
  } else if (mode == "nearest") {
    if (!(coord == "asymmetric" && (nearest_mode == "floor" || upsample)))
      c.fail(n, "nearest resize with coordinate_transformation_mode '" + coord + "' and nearest_mode '" + nearest_mode +
                    "' is not supported (supported: asymmetric + floor, as PyTorch's nn.Upsample(mode='nearest') exports)");
    xir_mode = "NEAREST";
  } else if (mode == "linear" || mode == "bilinear") {
    xir_mode = "BILINEAR";
    if (coord == "align_corners") align = true;
    else if (coord == "half_pixel" || (coord == "pytorch_half_pixel" && oh > 1 && ow > 1)) half = true;
    else if (coord != "asymmetric")
      c.fail(n, "linear resize with coordinate_transformation_mode '" + coord +
                    "' is not supported (supported: align_corners, half_pixel, pytorch_half_pixel, asymmetric)");
  } else {
    c.fail(n, "mode '" + mode + "' is not supported (nearest and linear are)");
  }
  auto a = xir::Attrs::create();
  a->set_attr<std::string>("mode", xir_mode);
  a->set_attr<bool>("align_corners", align);
  a->set_attr<bool>("half_pixel_centers", half);
  a->set_attr<std::vector<float>>("scale", {xir_scale(in[3], ow), xir_scale(in[2], oh)});
  xir::Op* op = c.add(n.output(0), "resize", std::move(a), {{"input", {x.op}}});
  const auto& s = op->get_output_tensor()->get_shape();
  if (s[1] != oh || s[2] != ow) c.fail(n, "internal: the XIR scale does not reproduce the output size");
  c.set_value(n.output(0), {op, true});
}

}  // namespace dputk::onnx_import
