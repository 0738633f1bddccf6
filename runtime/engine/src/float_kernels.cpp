// The float kernel of every XIR op type the engine runs. Window ops and matmul take their constant
// operands (weights, bias) once, at construction.
#include <climits>
#include <cstring>
#include <map>
#include <stdexcept>

#include "dputk/engine/fix_math.hpp"
#include "dputk/engine/op_geometry.hpp"
#include "float_kernel.hpp"
#include "kernels/fast/dnnl_conv.hpp"
#include "kernels/fast/dnnl_fixed_conv.hpp"
#include "kernels/fast/dnnl_misc.hpp"

namespace dputk::engine {

namespace {

using Shape = std::vector<std::int32_t>;
using Inputs = std::vector<const FloatTensor*>;

[[noreturn]] void fail(const xir::Op& op, const std::string& why) {
  throw std::runtime_error("op '" + op.get_name() + "' (" + op.get_type() + "): " + why);
}

const FloatTensor& constant_input(const xir::Op& op, const std::string& arg, const ConstantLookup& constants) {
  const xir::Op* src = op.get_input_op(arg);
  if (!src) fail(op, "missing input '" + arg + "'");
  const FloatTensor* t = constants(src);
  if (!t) fail(op, "input '" + arg + "' must be constant (from const ops)");
  return *t;
}

ref::Window2d window_of(const xir::Op& op) {
  return engine::window_of(op, op.get_input_tensor("input")->get_shape(), op.get_output_tensor()->get_shape());
}

class ConvKernel : public FloatKernel {
 public:
  ConvKernel(const xir::Op& op, const ConstantLookup& constants, bool fast, const std::function<int(const xir::Op*)>& fix_point_of)
      : op_(op), fast_(fast) {
    depthwise_ = op.get_type() == "depthwise-conv2d";
    g_ = window_of(op);
    const FloatTensor& w = constant_input(op, "weights", constants);
    weights_ = w.data;
    if (depthwise_) {
      g_.multiplier = w.shape[0];
      if (w.shape[3] != g_.c) fail(op, "depthwise weights do not match the input channels");
    } else {
      g_.group = op.get_attr_or<std::int32_t>("group", 1);
      if (w.shape[3] * g_.group != g_.c) fail(op, "weights do not match the input channels");
    }
    if (op.get_input_op("bias")) bias_ = constant_input(op, "bias", constants).data;
    // Calibration: input and weights both fix-quantized → the exact int8 convolution.
    const xir::Op* in = op.get_input_op("input");
    const xir::Op* w_fix = op.get_input_op("weights");
    if (fast && fix_point_of && in && in->get_type() == "fix" && w_fix->get_type() == "fix") {
      const int fw = fix_point_of(w_fix);
      if (fw != INT_MIN) {
        input_fix_ = in;
        weight_fix_point_ = fw;
        fix_point_of_ = fix_point_of;
        const xir::Op* src = in->get_input_op("input");
        ref::ActivationParams a;
        non_negative_input_ = src && activation_of(*src, &a) && (a.kind == ref::Activation::RELU || a.kind == ref::Activation::RELU6 ||
                                                                 (a.kind == ref::Activation::CLAMP && a.lo >= 0.0f));
      }
    }
  }
  bool can_fuse() const override { return fast_; }
  void fuse_activation(const ref::ActivationParams& a) override { act_ = a; }
  void fuse_sum() override { sum_ = true; }

  void run(const Inputs& in, FloatTensor& out) override {
    ref::Window2d g = g_;
    g.n = in[0]->shape[0];
    const float* b = bias_.empty() ? nullptr : bias_.data();
    if (input_fix_) {
      if (!fixed_tried_) {
        fixed_ = fast::DnnlFixedConv::create(g_, depthwise_, weights_.data(), weight_fix_point_, b, act_, sum_, non_negative_input_);
        fixed_tried_ = true;
      }
      const int fx = fixed_ ? fix_point_of_(input_fix_) : INT_MIN;
      if (fx != INT_MIN && fx >= -20 && fx <= 30) {
        fixed_->run(in[0]->data.data(), fx, out.data.data(), g.n);
        return;
      }
    }
    if (fast_) {
      if (!dnnl_) dnnl_ = std::make_unique<fast::DnnlConv>(g_, depthwise_, weights_.data(), b, act_, sum_);
      dnnl_->run(in[0]->data.data(), out.data.data(), g.n);
      return;
    }
    if (depthwise_) ref::depthwise_conv2d(in[0]->data.data(), weights_.data(), b, out.data.data(), g, act_);
    else ref::conv2d(in[0]->data.data(), weights_.data(), b, out.data.data(), g, act_);
  }

 private:
  const xir::Op& op_;
  bool fast_, depthwise_ = false, sum_ = false;
  ref::Window2d g_;
  ref::ActivationParams act_;
  std::vector<float> weights_, bias_;
  std::unique_ptr<fast::DnnlConv> dnnl_;
  // The exact int8 form (calibration).
  const xir::Op* input_fix_ = nullptr;
  int weight_fix_point_ = 0;
  bool non_negative_input_ = false, fixed_tried_ = false;
  std::function<int(const xir::Op*)> fix_point_of_;
  std::unique_ptr<fast::DnnlFixedConv> fixed_;
};

class PoolKernel : public FloatKernel {
 public:
  PoolKernel(const xir::Op& op, bool fast) : avg_(op.get_type() == "avgpool2d"), g_(window_of(op)) {
    include_pad_ = op.get_attr_or<bool>("count_include_pad", true);
    if (fast) dnnl_ = std::make_unique<fast::DnnlPool>(g_, avg_, include_pad_);
  }
  void run(const Inputs& in, FloatTensor& out) override {
    ref::Window2d g = g_;
    g.n = in[0]->shape[0];
    if (dnnl_) dnnl_->run(in[0]->data.data(), out.data.data(), g.n);
    else if (avg_) ref::avgpool2d(in[0]->data.data(), out.data.data(), g, include_pad_);
    else ref::maxpool2d(in[0]->data.data(), out.data.data(), g);
  }

 private:
  bool avg_, include_pad_ = true;
  ref::Window2d g_;
  std::unique_ptr<fast::DnnlPool> dnnl_;
};

class MatmulKernel : public FloatKernel {
 public:
  MatmulKernel(const xir::Op& op, const ConstantLookup& constants, bool fast) : op_(op) {
    if (op.get_attr<bool>("transpose_a")) fail(op, "transpose_a is not supported");
    transpose_b_ = op.get_attr<bool>("transpose_b");
    auto ins = op.get_input_ops("input");
    if (ins.size() != 2) fail(op, "needs two inputs");
    const Shape& ws = ins[1]->get_output_tensor()->get_shape();
    if (ws.size() != 2) fail(op, "the second input must be 2-D");
    k_ = transpose_b_ ? ws[1] : ws[0];
    n_ = transpose_b_ ? ws[0] : ws[1];
    if (op.get_input_op("bias")) bias_ = constant_input(op, "bias", constants).data;
    if (fast && constants(ins[1]))
      dnnl_ = std::make_unique<fast::DnnlMatmul>(constants(ins[1])->data.data(), bias_.empty() ? nullptr : bias_.data(), k_, n_,
                                                 transpose_b_);
  }
  void run(const Inputs& in, FloatTensor& out) override {
    const FloatTensor& x = *in[0];
    const int m = static_cast<int>(x.numel() / k_);
    if (dnnl_) return dnnl_->run(x.data.data(), out.data.data(), m);
    ref::matmul(x.data.data(), in[1]->data.data(), bias_.empty() ? nullptr : bias_.data(), out.data.data(), m, k_, n_,
                transpose_b_);
  }

 private:
  const xir::Op& op_;
  bool transpose_b_ = false;
  int k_ = 0, n_ = 0;
  std::vector<float> bias_;
  std::unique_ptr<fast::DnnlMatmul> dnnl_;
};

template <typename Fn>
class LambdaKernel : public FloatKernel {
 public:
  explicit LambdaKernel(Fn fn) : fn_(std::move(fn)) {}
  void run(const Inputs& in, FloatTensor& out) override { fn_(in, out); }

 private:
  Fn fn_;
};
template <typename Fn>
std::unique_ptr<FloatKernel> lambda(Fn fn) {
  return std::make_unique<LambdaKernel<Fn>>(std::move(fn));
}

std::unique_ptr<FloatKernel> copy_kernel() {
  return lambda([](const Inputs& in, FloatTensor& out) {
    std::memcpy(out.data.data(), in[0]->data.data(), out.data.size() * sizeof(float));
  });
}

const std::map<std::string, int> kBinaryKinds = {{"add", 0}, {"sub", 1}, {"mul", 2}, {"div", 3}, {"max", 4}, {"min", 5}};

}  // namespace

bool activation_of(const xir::Op& op, ref::ActivationParams* out) {
  const std::string& t = op.get_type();
  ref::ActivationParams a;
  if (t == "relu") a.kind = ref::Activation::RELU;
  else if (t == "relu6") a.kind = ref::Activation::RELU6;
  else if (t == "clamp") {
    a.kind = ref::Activation::CLAMP;
    a.lo = op.get_attr<float>("min");
    a.hi = op.get_attr<float>("max");
  } else if (t == "leaky-relu") {
    a.kind = ref::Activation::LEAKY_RELU;
    a.alpha = op.get_attr<float>("alpha");
  } else {
    return false;
  }
  *out = a;
  return true;
}

std::unique_ptr<FloatKernel> make_float_kernel(const xir::Op& op, const ConstantLookup& constants, bool fast,
                                               const FixHook& fix_hook, const std::function<int(const xir::Op*)>& fix_point_of) {
  const std::string& t = op.get_type();
  if (t == "conv2d" || t == "depthwise-conv2d") return std::make_unique<ConvKernel>(op, constants, fast, fix_point_of);
  if (t == "maxpool2d" || t == "avgpool2d") return std::make_unique<PoolKernel>(op, fast);
  if (t == "matmul") return std::make_unique<MatmulKernel>(op, constants, fast);
  ref::ActivationParams act;
  if (activation_of(op, &act))
    return lambda([act](const Inputs& in, FloatTensor& out) { ref::activation(in[0]->data.data(), out.data.data(), out.numel(), act); });
  if (t == "sigmoid")
    return lambda([](const Inputs& in, FloatTensor& out) {
      for (std::int64_t i = 0; i < out.numel(); ++i) out.data[i] = 1.0f / (1.0f + std::exp(-in[0]->data[i]));
    });
  if (auto it = kBinaryKinds.find(t); it != kBinaryKinds.end()) {
    int kind = it->second;
    return lambda([kind](const Inputs& in, FloatTensor& out) {
      // n-ary: fold left over the inputs
      ref::broadcast_binary(kind, in[0]->data.data(), in[0]->shape, in[1]->data.data(), in[1]->shape, out.data.data(), out.shape);
      for (std::size_t i = 2; i < in.size(); ++i)
        ref::broadcast_binary(kind, out.data.data(), out.shape, in[i]->data.data(), in[i]->shape, out.data.data(), out.shape);
    });
  }
  if (t == "reshape" || t == "flatten" || t == "identity" || t == "reshape-fix" || t == "squeeze" || t == "upload" ||
      t == "download")
    return copy_kernel();
  if (t == "concat") {
    int axis = op.get_attr<std::int32_t>("axis");
    return lambda([axis](const Inputs& in, FloatTensor& out) {
      std::vector<const float*> ptrs;
      std::vector<Shape> shapes;
      for (const auto* x : in) {
        ptrs.push_back(x->data.data());
        shapes.push_back(x->shape);
      }
      int a = axis < 0 ? axis + static_cast<int>(out.shape.size()) : axis;
      ref::concat(ptrs, shapes, a, out.data.data());
    });
  }
  if (t == "pad") {
    auto paddings = op.get_attr<Shape>("paddings");
    std::string mode = op.get_attr<std::string>("mode");
    if (mode != "CONSTANT" && mode != "REFLECT") fail(op, "pad mode " + mode + " is not supported");
    auto values = op.get_attr_or<std::vector<float>>("constant_values", {});
    float value = values.empty() ? 0.0f : values[0];
    bool reflect = mode == "REFLECT";
    return lambda([=](const Inputs& in, FloatTensor& out) {
      ref::pad(in[0]->data.data(), in[0]->shape, paddings, reflect, value, out.data.data());
    });
  }
  if (t == "strided_slice") {
    auto begin = op.get_attr<Shape>("begin");
    auto strides = op.get_attr<Shape>("strides");
    return lambda([=](const Inputs& in, FloatTensor& out) {
      ref::strided_slice(in[0]->data.data(), in[0]->shape, begin, strides, out.shape, out.data.data());
    });
  }
  if (t == "transpose") {
    auto order = op.get_attr<Shape>("order");
    return lambda([=](const Inputs& in, FloatTensor& out) { ref::transpose(in[0]->data.data(), in[0]->shape, order, out.data.data()); });
  }
  if (t == "softmax") {
    int axis = op.get_attr<std::int32_t>("axis");
    return lambda([axis](const Inputs& in, FloatTensor& out) {
      int a = axis < 0 ? axis + static_cast<int>(out.shape.size()) : axis;
      ref::softmax(in[0]->data.data(), in[0]->shape, a, out.data.data());
    });
  }
  if (t == "batchnorm") {
    const auto& gamma = constant_input(op, "gamma", constants).data;
    const auto& beta = constant_input(op, "beta", constants).data;
    const auto& mean = constant_input(op, "moving_mean", constants).data;
    const auto& var = constant_input(op, "moving_var", constants).data;
    float eps = op.get_attr<float>("epsilon");
    return lambda([=](const Inputs& in, FloatTensor& out) {
      ref::batchnorm(in[0]->data.data(), out.numel(), static_cast<int>(gamma.size()), gamma.data(), beta.data(), mean.data(),
                     var.data(), eps, out.data.data());
    });
  }
  if (t == "fix" && fix_hook) {
    const xir::Op* self = &op;
    return lambda([self, fix_hook](const Inputs& in, FloatTensor& out) { fix_hook(self, *in[0], out); });
  }
  if (t == "fix") {
    FixSpec f;
    f.fix_point = op.get_attr<std::int32_t>("fix_point");
    f.bit_width = op.get_attr<std::int32_t>("bit_width");
    f.if_signed = op.get_attr<bool>("if_signed");
    try {
      f.round = parse_round_mode(op.get_attr<std::string>("round_mode"));
    } catch (const std::exception& e) {
      fail(op, e.what());
    }
    return lambda([f](const Inputs& in, FloatTensor& out) { fake_quantize_array(in[0]->data.data(), out.numel(), f, out.data.data()); });
  }
  if (t == "stack") {
    return lambda([](const Inputs& in, FloatTensor& out) {
      std::size_t off = 0;
      for (const auto* x : in) {
        std::memcpy(out.data.data() + off, x->data.data(), x->data.size() * sizeof(float));
        off += x->data.size();
      }
    });
  }
  fail(op, "the float engine has no kernel for this op type");
}

}  // namespace dputk::engine
