#include "dputk/engine/op_geometry.hpp"

#include <algorithm>
#include <stdexcept>

namespace dputk::engine {

ref::Window2d window_of(const xir::Op& op, const std::vector<std::int32_t>& in, const std::vector<std::int32_t>& out,
                        const std::vector<std::int32_t>& weights_shape) {
  using IV = std::vector<std::int32_t>;
  if (in.size() != 4 || out.size() != 4)
    throw std::runtime_error("op '" + op.get_name() + "' (" + op.get_type() + "): input and output must be 4-D NHWC");
  ref::Window2d g;
  g.h = in[1]; g.w = in[2]; g.c = in[3];
  g.oh = out[1]; g.ow = out[2]; g.oc = out[3];
  IV k = op.get_attr<IV>("kernel"), s = op.get_attr<IV>("stride");
  IV d = op.get_attr_or<IV>("dilation", {1, 1}), p = op.get_attr_or<IV>("pad", {0, 0, 0, 0});
  if (op.get_attr_or<bool>("global", false)) {
    k = s = {g.w, g.h};
    p = {0, 0, 0, 0};
  }
  g.kw = k[0]; g.kh = k[1]; g.sw = s[0]; g.sh = s[1]; g.dw = d[0]; g.dh = d[1];
  g.pad_left = p[0]; g.pad_top = p[2];
  const std::string mode = op.get_attr_or<std::string>("pad_mode", "FLOOR");
  if (mode == "SAME") {  // output = ceil(in / stride), the extra padding on the bottom/right
    g.pad_top = std::max((g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1 - g.h, 0) / 2;
    g.pad_left = std::max((g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1 - g.w, 0) / 2;
  } else if (mode == "VALID") {
    g.pad_top = g.pad_left = 0;
  }
  if (!weights_shape.empty()) {
    if (op.get_type().find("depthwise") != std::string::npos) g.multiplier = weights_shape[0];
    else g.group = op.get_attr_or<std::int32_t>("group", 1);
  }
  return g;
}

}  // namespace dputk::engine
