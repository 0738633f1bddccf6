// conv2d and depthwise-conv2d (float), conv2d-fix and depthwise-conv2d-fix (DPU integer arithmetic):
// the reference kernels. The oneDNN ones are in fast/conv2d_dnnl.cpp.
#include "conv_common.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/dpu_ref_kernels.hpp"
#include "dputk/engine/op_geometry.hpp"

namespace dputk::engine {
namespace ops {

int fix_point_of(const xir::Op& op) {
  const xir::Tensor* t = op.get_output_tensor();
  if (t->has_attr("fix_point")) return t->get_attr<std::int32_t>("fix_point");
  if (op.has_attr("fix_point")) return op.get_attr<std::int32_t>("fix_point");
  dpu::op_fail(op, "output tensor has no fix_point");
}

namespace {
const FloatTensor& constant_input(const FloatKernelArgs& a, const std::string& arg) {
  const xir::Op* src = a.op.get_input_op(arg);
  if (!src) dpu::op_fail(a.op, "missing input '" + arg + "'");
  const FloatTensor* t = a.constants(src);
  if (!t) dpu::op_fail(a.op, "input '" + arg + "' must be constant (from const ops)");
  return *t;
}
}  // namespace

FloatConv prepare_float_conv(const FloatKernelArgs& a) {
  const xir::Op& op = a.op;
  FloatConv c;
  c.depthwise = op.get_type() == "depthwise-conv2d";
  c.g = window_of(op, op.get_input_tensor("input")->get_shape(), op.get_output_tensor()->get_shape());
  const FloatTensor& w = constant_input(a, "weights");
  c.weights = w.data;
  if (c.depthwise) {
    c.g.multiplier = w.shape[0];
    if (w.shape[3] != c.g.c) dpu::op_fail(op, "depthwise weights do not match the input channels");
  } else {
    c.g.group = op.get_attr_or<std::int32_t>("group", 1);
    if (w.shape[3] * c.g.group != c.g.c) dpu::op_fail(op, "weights do not match the input channels");
  }
  if (op.get_input_op("bias")) c.bias = constant_input(a, "bias").data;
  return c;
}

dpu::ConvShift conv_shift_of(const xir::Op& op, const DpuTensor& weights, const DpuTensor* bias) {
  dpu::ConvShift shift;
  const int fi = fix_point_of(*op.get_input_op("input"));
  const int fo = fix_point_of(op);
  shift.nonlinear = dpu::parse_nonlinear(op);
  // HSIGMOID: the convolution rounds to hsigmoid_in, the hard-sigmoid then moves to fo.
  const int conv_fo = shift.nonlinear == dpu::Nonlinear::HSIGMOID ? op.get_attr<std::int32_t>("hsigmoid_in") : fo;
  shift.hsigmoid_in = conv_fo;
  shift.shift_hsigmoid = op.get_attr_or<std::int32_t>("shift_hsigmoid", 0);
  if (shift.nonlinear == dpu::Nonlinear::HSIGMOID && shift.shift_hsigmoid != dpu::shift_hsigmoid_for(conv_fo, fo))
    dpu::op_fail(op, "shift_hsigmoid " + std::to_string(shift.shift_hsigmoid) + " does not match hsigmoid_in + 14 - output fix point (" +
                         std::to_string(dpu::shift_hsigmoid_for(conv_fo, fo)) + ")");
  shift.shift_cut = dpu::shift_cut_for(fi, weights.fix_point, conv_fo);
  shift.shift_bias = bias ? dpu::shift_bias_for(fi, weights.fix_point, bias->fix_point) : 0;
  shift.fo = fo;
  return shift;
}

FixConv prepare_fix_conv(const FixKernelArgs& a) {
  const xir::Op& op = a.op;
  FixConv c;
  c.depthwise = op.get_type() == "depthwise-conv2d-fix";
  const xir::Op* wop = op.get_input_op("weights");
  const xir::Op* bop = op.get_input_op("bias");
  c.weights = wop ? a.constants(wop) : nullptr;
  if (!c.weights) dpu::op_fail(op, "weights must come from a const-fix op");
  c.bias = bop ? a.constants(bop) : nullptr;
  if (bop && !c.bias) dpu::op_fail(op, "bias must come from a const-fix op");
  c.g = window_of(op, op.get_input_tensors()[0]->get_shape(), op.get_output_tensor()->get_shape(), c.weights->shape);
  c.shift = conv_shift_of(op, *c.weights, c.bias);
  c.non_negative_input = a.non_negative(op.get_input_op("input"));
  return c;
}

}  // namespace ops

namespace {

class RefConv : public FloatKernel {
 public:
  explicit RefConv(ops::FloatConv c) : c_(std::move(c)) {}
  bool reads_constants() const override { return false; }  // c_ holds the weights and bias
  void run(const std::vector<const FloatTensor*>& in, FloatTensor& out) override {
    ref::Window2d g = c_.g;
    g.n = in[0]->shape[0];
    const float* b = c_.bias.empty() ? nullptr : c_.bias.data();
    if (c_.depthwise) ref::depthwise_conv2d(in[0]->data.data(), c_.weights.data(), b, out.data.data(), g, {});
    else ref::conv2d(in[0]->data.data(), c_.weights.data(), b, out.data.data(), g, {});
  }

 private:
  ops::FloatConv c_;
};

}  // namespace

void register_conv2d(OpRegistry& r) {
  for (const char* t : {"conv2d", "depthwise-conv2d"})
    r.add_float(t, KernelKind::REFERENCE, [](const FloatKernelArgs& a) { return std::make_unique<RefConv>(ops::prepare_float_conv(a)); });
  for (const char* t : {"conv2d-fix", "depthwise-conv2d-fix"})
    r.add_fix(t, KernelKind::REFERENCE, [](const FixKernelArgs& a) -> FixKernel {
      const ops::FixConv c = ops::prepare_fix_conv(a);
      const std::int8_t* w = c.weights->data.data();
      const std::int8_t* b = c.bias ? c.bias->data.data() : nullptr;
      return [c, w, b](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
        ref::Window2d g = c.g;
        g.n = in[0]->shape[0];
        dpu_ref::conv2d(in[0]->data.data(), w, b, out.data.data(), g, c.depthwise, c.shift);
      };
    });
}

}  // namespace dputk::engine
