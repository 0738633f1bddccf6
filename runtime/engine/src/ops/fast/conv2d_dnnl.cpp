// conv2d / depthwise-conv2d and their -fix forms on oneDNN (the optimized kernels; the reference ones
// are in ../conv2d.cpp and the tests hold both equal).
//   float: a oneDNN convolution with the activation / residual add fused when the executor asks;
//          during calibration, a convolution reading fix-quantized input and weights runs as an exact
//          int8 convolution (kernels/fast/dnnl_fixed_conv.hpp).
//   fix:   the whole layer as one oneDNN int8 primitive where that is provably exact
//          (kernels/fast/dnnl_dpu_conv.hpp), else exact s32 accumulators and the DPU's shift, round and
//          saturation afterwards.
#include <climits>

#include <array>

#include "../conv_common.hpp"
#include "dputk/engine/dpu_fast_kernels.hpp"
#include "kernels/fast/dnnl_conv.hpp"
#include "kernels/fast/dnnl_dpu_conv.hpp"
#include "kernels/fast/dnnl_fixed_conv.hpp"
#include "kernels/fast/dnnl_int_conv.hpp"

namespace dputk::engine {

namespace {

class DnnlConvKernel : public FloatKernel {
 public:
  explicit DnnlConvKernel(const FloatKernelArgs& a) : c_(ops::prepare_float_conv(a)) {
    // Input and weights both fix-quantized (fix_point_of says at which fix points) → the exact int8 convolution.
    const xir::Op& op = a.op;
    const xir::Op* in = op.get_input_op("input");
    const xir::Op* w_fix = op.get_input_op("weights");
    if (a.fix_point_of && in && in->get_type() == "fix" && w_fix->get_type() == "fix") {
      const int fw = a.fix_point_of(w_fix);
      if (fw != INT_MIN) {
        input_fix_ = in;
        weight_fix_point_ = fw;
        fix_point_of_ = a.fix_point_of;
        const xir::Op* src = in->get_input_op("input");
        ref::ActivationParams act;
        non_negative_input_ = src && activation_of(*src, &act) &&
                              (act.kind == ref::Activation::RELU || act.kind == ref::Activation::RELU6 ||
                               (act.kind == ref::Activation::CLAMP && act.lo >= 0.0f));
      }
    }
  }
  // The weights are held once: in c_ until a oneDNN convolution holds them (the int8 one's are the
  // float weights exactly, on their grid).
  bool reads_constants() const override { return false; }
  bool can_fuse() const override { return true; }
  void fuse_activation(const ref::ActivationParams& a) override { act_ = a; }
  void fuse_sum() override { sum_ = true; }

  void run(const std::vector<const FloatTensor*>& in, FloatTensor& out) override {
    const int n = in[0]->shape[0];
    const float* b = c_.bias.empty() ? nullptr : c_.bias.data();
    if (input_fix_) {
      if (!fixed_tried_) {
        fixed_ = fast::DnnlFixedConv::create(c_.g, c_.depthwise, c_.weights.data(), weight_fix_point_, b, act_, sum_, non_negative_input_);
        fixed_tried_ = true;
        if (fixed_) std::vector<float>().swap(c_.weights);
      }
      const int fx = fixed_ ? fix_point_of_(input_fix_) : INT_MIN;
      if (fx != INT_MIN && fx >= -20 && fx <= 30) {
        fixed_->run(in[0]->data.data(), fx, out.data.data(), n);
        return;
      }
    }
    if (!dnnl_) {
      const std::vector<float> w = fixed_ ? fixed_->float_weights() : std::move(c_.weights);
      dnnl_ = std::make_unique<fast::DnnlConv>(c_.g, c_.depthwise, w.data(), b, act_, sum_);
    }
    dnnl_->run(in[0]->data.data(), out.data.data(), n);
  }

 private:
  ops::FloatConv c_;
  bool sum_ = false;
  ref::ActivationParams act_;
  std::unique_ptr<fast::DnnlConv> dnnl_;
  // The exact int8 form (calibration).
  const xir::Op* input_fix_ = nullptr;
  int weight_fix_point_ = 0;
  bool non_negative_input_ = false, fixed_tried_ = false;
  std::function<int(const xir::Op*)> fix_point_of_;
  std::unique_ptr<fast::DnnlFixedConv> fixed_;
};

FixKernel make_fix_conv_to(const ops::FixConv& c, const FixKernelArgs& a);

// HSIGMOID: the convolution rounded to hsigmoid_in (any fast path: that is nonlinear NONE), then the
// hard-sigmoid of each int8 value, which depends on that value only — a 256-entry table of
// dpu::hsigmoid_output (the same as dpu::conv_output's HSIGMOID case).
FixKernel make_fix_conv(const FixKernelArgs& a) {
  ops::FixConv c = ops::prepare_fix_conv(a);
  if (c.shift.nonlinear != dpu::Nonlinear::HSIGMOID) return make_fix_conv_to(c, a);
  std::array<std::int8_t, 256> table;
  for (int v = -128; v < 128; ++v) table[static_cast<std::size_t>(v + 128)] = dpu::hsigmoid_output(v, c.shift.hsigmoid_in, c.shift.shift_hsigmoid);
  c.shift.nonlinear = dpu::Nonlinear::NONE;
  FixKernel conv = make_fix_conv_to(c, a);
  return [conv, table](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
    conv(in, out);
    for (auto& v : out.data) v = table[static_cast<std::size_t>(v + 128)];
  };
}

FixKernel make_fix_conv_to(const ops::FixConv& c, const FixKernelArgs& a) {
  const std::int8_t* weights = c.weights->data.data();
  const std::int8_t* bias = c.bias ? c.bias->data.data() : nullptr;
  // The whole layer in one oneDNN primitive where that is provably exact ...
  std::shared_ptr<fast::DnnlDpuConv> fused = fast::DnnlDpuConv::create(c.g, c.depthwise, weights, bias, c.shift, c.non_negative_input);
  if (fused) {
    if (a.fused_count) ++*a.fused_count;
    return [fused](const std::vector<const DpuTensor*>& in, DpuTensor& out) { fused->run(in[0]->data.data(), out.data.data(), in[0]->shape[0]); };
  }
  // ... else exact s32 accumulators from oneDNN and the DPU's shift/round/saturate afterwards.
  auto conv = std::make_shared<fast::DnnlIntConv>(c.g, c.depthwise, weights);
  auto acc = a.scratch;
  // |acc| <= k_h·k_w·c_in·128·128 < 2^29 for the int32 fast post-processing
  const bool small_reduction = static_cast<std::int64_t>(c.g.kh) * c.g.kw * (c.depthwise ? 1 : c.g.c / c.g.group) < (1 << 15);
  const dpu::ConvShift shift = c.shift;
  return [=](const std::vector<const DpuTensor*>& in, DpuTensor& out) {
    const int n = in[0]->shape[0];
    acc->resize(static_cast<std::size_t>(out.numel()));
    conv->run(in[0]->data.data(), acc->data(), n);
    const std::int64_t total = out.numel();
    const int oc = c.g.oc;
    if (small_reduction && dpu_fast::conv_output(acc->data(), bias, total / oc, oc, shift, out.data.data())) return;
    const std::int32_t* s = acc->data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < total; ++i) out.data[i] = dpu::conv_output(s[i], bias ? bias[i % oc] : 0, shift);
  };
}

}  // namespace

void register_conv2d_dnnl(OpRegistry& r) {
  for (const char* t : {"conv2d", "depthwise-conv2d"})
    r.add_float(t, KernelKind::OPTIMIZED, [](const FloatKernelArgs& a) { return std::make_unique<DnnlConvKernel>(a); });
  for (const char* t : {"conv2d-fix", "depthwise-conv2d-fix"}) r.add_fix(t, KernelKind::OPTIMIZED, make_fix_conv);
}

}  // namespace dputk::engine
