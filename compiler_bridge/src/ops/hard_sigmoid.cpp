// hard-sigmoid-fix (the quantizer's hard-sigmoid, relu6(x + 3) · 2731 / 2^14) → the DPU's HSIGMOID
// nonlinear (spec §3.8; attrs hsigmoid_in, shift_hsigmoid as in compiled files): fused into the
// convolution that computes its input when nothing else reads that convolution's int8 result, else a
// 1×1 depthwise identity convolution (weights 1, the ALU engine's hsigmoid) with nonlinear HSIGMOID.
#include "compiler_ops.hpp"
#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/dpu/op_traits.hpp"

namespace dputk::compiler_ops {

namespace {

// Also writes shift_bias and shift_cut (fi + fw − fb, fi + fw − hsigmoid_in): XIR's conv op definitions
// require them with HSIGMOID / HSWISH (a file without them does not load in Xilinx's XIR).
void set_hsigmoid(xir::Op* conv, int hsigmoid_in, int fo) {
  auto fix_of = [&](const std::string& arg) { return conv->get_input_tensor(arg)->get_attr<std::int32_t>("fix_point"); };
  const int fi = fix_of("input"), fw = fix_of("weights");
  conv->set_attr<std::string>("nonlinear", "HSIGMOID");
  conv->set_attr<std::int32_t>("hsigmoid_in", hsigmoid_in);
  conv->set_attr<std::int32_t>("shift_hsigmoid", dpu::shift_hsigmoid_for(hsigmoid_in, fo));
  conv->set_attr<std::int32_t>("shift_cut", dpu::shift_cut_for(fi, fw, hsigmoid_in));
  conv->set_attr<std::int32_t>("shift_bias", conv->get_input_num("bias") > 0 ? dpu::shift_bias_for(fi, fw, fix_of("bias")) : 0);
}

xir::Op* lower_hard_sigmoid(LowerContext& cx, const Group& g) {
  const xir::Op* c = g.compute;
  const xir::Op* in_fix = c->get_input_op("input");
  const Lowered& x = cx.value(in_fix);
  // Where the DPU form is not exact (an activation after it, a fix point the quantizer did not
  // constrain), the op runs on the CPU.
  if (g.act || x.fix_point < 0 || g.fp < dpu::op_traits("hard-sigmoid-fix").min_output_fix_point) return nullptr;
  xir::Op* p = x.op;
  const std::string pt = p->get_type();
  const std::string nl = p->get_attr_or<std::string>("nonlinear", "NONE");
  const bool fusable = (pt == "conv2d-fix" || pt == "depthwise-conv2d-fix") && (nl == "NONE" || nl.empty()) &&
                       in_fix->get_type() == "fix" && in_fix->get_fanout_num() == 1 && p->get_fanout_num() == 0;
  if (fusable) {
    set_hsigmoid(p, x.fix_point, g.fp);
    p->get_output_tensor()->set_attr<std::int32_t>("fix_point", g.fp);
    p->set_attr<std::string>("__float_source", c->get_name());
    cx.drop_value(in_fix);
    return p;
  }
  const IV shape = c->get_output_tensor()->get_shape();
  const int channels = shape.back();
  if (shape.size() != 4 && shape.size() != 2) return nullptr;
  if (shape.size() == 2) {  // a fully connected layer's [N, C]: as a [N, 1, 1, C] map (reshape-fix, a DPU op)
    auto ra = xir::Attrs::create();
    ra->set_attr<IV>("shape", {shape[0], 1, 1, channels});
    p = cx.add(c->get_name() + "_as_map", "reshape-fix", std::move(ra), {{"input", {p}}}, x.fix_point);
  }
  auto wa = xir::Attrs::create();
  wa->set_attr<IV>("shape", {1, 1, 1, channels});
  wa->set_attr<std::string>("data_type", "XINT8");
  wa->set_attr<std::vector<char>>("data", std::vector<char>(static_cast<std::size_t>(channels), 1));
  xir::Op* w = cx.add(c->get_name() + "_identity_weights", "const-fix", std::move(wa), {}, 0);
  auto a = xir::Attrs::create();
  a->set_attr<IV>("kernel", {1, 1});
  a->set_attr<IV>("stride", {1, 1});
  a->set_attr<IV>("dilation", {1, 1});
  a->set_attr<IV>("pad", {0, 0, 0, 0});
  a->set_attr<bool>("bias_term", false);
  a->set_attr<std::int32_t>("in_dim", channels);
  a->set_attr<std::int32_t>("out_dim", channels);
  xir::Op* dw = cx.add(c->get_name() + (shape.size() == 2 ? "_map" : ""), "depthwise-conv2d-fix", std::move(a),
                       {{"input", {p}}, {"weights", {w}}}, g.fp);
  set_hsigmoid(dw, x.fix_point, g.fp);
  if (shape.size() == 4) return dw;
  auto ra = xir::Attrs::create();
  ra->set_attr<IV>("shape", shape);
  return cx.add(c->get_name(), "reshape-fix", std::move(ra), {{"input", {dw}}}, g.fp);
}

}  // namespace

void register_hard_sigmoid() { add_lower_rule("hard-sigmoid-fix", lower_hard_sigmoid); }

}  // namespace dputk::compiler_ops
