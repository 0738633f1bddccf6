// resize → upsample-fix. The DPU upsamples by nearest neighbour with integer factors (UG1414; the
// Inspector refuses align_corners); bilinear and fractional resizes run the same fix op on the CPU, and
// a bilinear one that ends the network stays float (dpu::runs_in_float).
#include <cmath>

#include "compiler_ops.hpp"
#include "dputk/dpu/op_traits.hpp"

namespace dputk::compiler_ops {

namespace {
constexpr const char* kNearestOnly = " (the DPU upsamples by nearest neighbour only)";
}  // namespace

void register_resize() {
  add_lower_rule("resize", [](LowerContext& cx, const Group& g) -> xir::Op* {
    const xir::Op* c = g.compute;
    auto a = xir::Attrs::create();
    a->set_attr<std::string>("mode", c->get_attr<std::string>("mode"));
    a->set_attr<bool>("align_corners", c->get_attr_or<bool>("align_corners", false));
    a->set_attr<bool>("half_pixel_centers", c->get_attr_or<bool>("half_pixel_centers", false));
    a->set_attr<std::vector<float>>("scale", c->get_attr<std::vector<float>>("scale"));
    return cx.add(c->get_name(), "upsample-fix", std::move(a), {{"input", {cx.value(c->get_input_op("input")).op}}}, g.fp);
  });
  add_dpu_limits("upsample-fix", [](const xir::Op& op, const compiler::EngineLimits&) -> std::string {
    if (dpu::interpolates(op)) return "upsample mode " + op.get_attr<std::string>("mode") + kNearestOnly;
    if (op.get_attr_or<bool>("align_corners", false) || op.get_attr_or<bool>("half_pixel_centers", false))
      return "nearest upsampling with align_corners or half_pixel_centers";
    const auto& in = op.get_input_tensor("input")->get_shape();
    const auto& out = op.get_output_tensor()->get_shape();
    if (out[1] % in[1] != 0 || out[2] % in[2] != 0 || out[1] < in[1] || out[2] < in[2])
      return "a resize by a non-integer factor (" + std::to_string(in[1]) + "x" + std::to_string(in[2]) + " → " +
             std::to_string(out[1]) + "x" + std::to_string(out[2]) + ")";
    return std::string();
  });
  // A float resize: the network's final bilinear upsampling, left in float (dpu::runs_in_float).
  add_dpu_limits("resize", [](const xir::Op& op, const compiler::EngineLimits&) -> std::string {
    return "upsample mode " + op.get_attr_or<std::string>("mode", "NEAREST") + " of the network's output, left in float" + kNearestOnly;
  });
  add_dpu_hint("upsample-fix", [](const xir::Op&) -> std::string {
    return "export the upsampling as nearest with an integer factor (nn.Upsample(scale_factor=2, mode='nearest')) to keep it on the DPU";
  });
}

}  // namespace dputk::compiler_ops
