#include "dputk/quantizer/fast_finetune.hpp"

#include <glog/logging.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>

#include "dputk/common/atomic_file.hpp"
#include "dputk/common/memory.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/quantizer/image_pass.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/engine/op_registry.hpp"
#include "dputk/dpu/fix_attrs.hpp"
#include "dputk/dpu/fix_math.hpp"
#include "dputk/engine/conv_gradient.hpp"
#include "dputk/engine/op_geometry.hpp"
#include "finetune_loss.hpp"
#include "torch_layout.hpp"
#include "torch_threads.hpp"

namespace dputk {

namespace {

using IV = std::vector<std::int32_t>;

[[noreturn]] void fail(const xir::Op* op, const std::string& why) { dpu::op_fail(*op, why, "fast finetune,"); }

// x fake-quantized by f: dpu/fix_math.hpp's fake_quantize_array, one pass on torch's threads. (The
// gradients pass straight through a fix: the tuning's gradient with respect to the fix-quantized
// parameters is applied to the parameters.)
torch::Tensor fix(const torch::Tensor& x, const dpu::FixSpec& f) {
  const torch::Tensor in = x.contiguous();
  if (in.scalar_type() != torch::kFloat32) throw std::logic_error("fast finetune: fix of a non-float32 tensor");
  torch::Tensor out = torch::empty_like(in);
  const float* src = in.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  at::parallel_for(0, in.numel(), std::int64_t{1} << 16, [&](std::int64_t b, std::int64_t e) { dpu::fake_quantize_array(src + b, e - b, f, dst + b); });
  return out;
}

struct Layer {
  xir::Op* op = nullptr;                 // conv2d / depthwise-conv2d / matmul (quantized graph)
  xir::Op* w_const = nullptr, *b_const = nullptr;
  dpu::FixSpec w, b, o;                  // the weights', bias's and output's fix ops (dpu::fix_spec_of)
  const xir::Op* input = nullptr;        // the value the layer reads (quantized graph)
  bool int8_input = false;               // whether that is a signed 8-bit fix op's output (with weights on an int8 grid)
  int input_fp = 0;                      // its fix point
  std::string target;                    // the float graph op whose value is the target
  std::string output_fix;                // the quantized graph's fix op on the layer's output
  const xir::Op* act = nullptr;          // the activation after it (quantized graph), or none
  engine::ref::ActivationParams act_params;  // its function (NONE without one)
  std::shared_ptr<engine::ConvGradient> conv;  // its sums and their gradient (a matmul as a 1×1 convolution)
};

// A layer's geometry as a convolution on NHWC values; a matmul [n, in] × W is a 1×1 convolution of a
// 1×1 image with in channels and out outputs.
engine::ref::Window2d window(const xir::Op& op) {
  const IV in = op.get_input_tensor("input", 0)->get_shape(), out = op.get_output_tensor()->get_shape();
  if (op.get_type() != "matmul") return engine::window_of(op, in, out, op.get_input_tensor("weights")->get_shape());
  engine::ref::Window2d g;
  g.h = g.w = g.oh = g.ow = 1;
  g.c = in.back();
  g.oc = out.back();
  return g;
}

// A layer's weights as ConvGradient takes them (XIR's; a matmul's W as [out, in]) from XIR's, and back
// (a transposition or nothing: its own inverse).
torch::Tensor conv_layout(const torch::Tensor& w, const xir::Op& layer) {
  return layer.get_type() == "matmul" && !layer.get_attr_or<bool>("transpose_b", false) ? w.t().contiguous() : w.contiguous();
}

// The layers fast finetune can tune: parameters from const → fix, output ending in a fix.
std::vector<Layer> find_layers(xir::Graph& g) {
  std::vector<Layer> out;
  for (xir::Op* op : g.topological_sort()) {
    const std::string& t = op->get_type();
    if (t != "conv2d" && t != "depthwise-conv2d" && t != "matmul") continue;
    Layer l;
    l.op = op;
    xir::Op* wf = t == "matmul" ? (op->get_input_ops("input").size() == 2 ? op->get_input_ops("input")[1] : nullptr) : op->get_input_op("weights");
    if (!wf || wf->get_type() != "fix" || wf->get_input_op("input")->get_type() != "const") continue;
    l.w_const = wf->get_input_op("input");
    l.w = dpu::fix_spec_of(*wf);
    if (xir::Op* bf = op->get_input_op("bias")) {
      if (bf->get_type() != "fix" || bf->get_input_op("input")->get_type() != "const") continue;
      l.b_const = bf->get_input_op("input");
      l.b = dpu::fix_spec_of(*bf);
    }
    l.input = op->get_input_ops("input")[0];
    if (l.input->get_type() == "fix") {
      const dpu::FixSpec in = dpu::fix_spec_of(*l.input);
      l.int8_input = in.bit_width == 8 && in.if_signed && l.w.bit_width == 8 && l.w.if_signed;
      l.input_fp = in.fix_point;
    }
    const xir::Op* cur = op;
    if (op->get_fanout_num() == 1) {
      const xir::Op* next = op->get_fanout_ops()[0];
      if (dpu::is_activation_op(next->get_type())) {
        cur = l.act = next;
        if (!engine::activation_of(*next, &l.act_params)) continue;  // not one fast finetune computes: left as calibrated
      }
    }
    if (cur->get_fanout_num() != 1 || cur->get_fanout_ops()[0]->get_type() != "fix") continue;
    const xir::Op* of = cur->get_fanout_ops()[0];
    l.o = dpu::fix_spec_of(*of);
    // The weights' gradient in bfloat16 where the CPU has it natively, except a depthwise layer's.
    // Fast finetune on 100 images, logit SQNR on 400 held-out images: ResNet50 26.14 dB with bfloat16
    // against 26.13 in float32, and 125 against 137 s; MobileNetV2 14.81 with bfloat16 but for the
    // depthwise layers, 14.07 with them too, 14.82 in float32.
    const bool depthwise = t == "depthwise-conv2d";
    l.conv = std::make_shared<engine::ConvGradient>(window(*op), depthwise,
                                                    depthwise ? engine::ConvGradient::Gradient::F32 : engine::ConvGradient::Gradient::BF16_WHERE_NATIVE);
    l.target = cur->get_name();
    l.output_fix = of->get_name();
    out.push_back(l);
  }
  return out;
}

// A value of the graph as a tensor of its shape (NHWC for feature maps) over its data (not copied:
// valid while t is), and copied.
torch::Tensor view_of(const engine::FloatTensor& t) {
  const std::vector<std::int64_t> s(t.shape.begin(), t.shape.end());
  return torch::from_blob(const_cast<float*>(t.data.data()), s, torch::kFloat32);
}
torch::Tensor values(const engine::FloatTensor& t) { return view_of(t).clone(); }

// An activation op's function on y (engine::activation_of's reading of the op, the engine's kernel);
// undefined for another op type.
torch::Tensor activation(const xir::Op& act, const torch::Tensor& y) {
  engine::ref::ActivationParams a;
  if (!engine::activation_of(act, &a) || a.kind == engine::ref::Activation::NONE) return torch::Tensor();
  const torch::Tensor in = y.contiguous();
  torch::Tensor out = torch::empty_like(in);
  engine::ref::activation(in.data_ptr<float>(), out.data_ptr<float>(), in.numel(), a);
  return out;
}

// The layer's sums in float (before the activation): x [n, h, w, c] (or a matmul's [n, in]), w in
// conv_layout, b undefined without a bias. `fixed`: x and w are the layer's fix-quantized input and
// weights, whose products are summed exactly as integers (ConvGradient::forward_fixed).
torch::Tensor layer_sums(const Layer& l, const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, bool fixed) {
  const torch::Tensor xc = x.contiguous(), wc = w.contiguous();
  const IV out = l.op->get_output_tensor()->get_shape();
  std::vector<std::int64_t> shape(out.begin(), out.end());
  shape[0] = x.size(0);
  torch::Tensor y = torch::empty(shape, torch::kFloat32);
  const float* bias = b.defined() ? b.contiguous().data_ptr<float>() : nullptr;
  const int n = static_cast<int>(x.size(0));
  if (fixed && l.int8_input)
    l.conv->forward_fixed(xc.data_ptr<float>(), l.input_fp, wc.data_ptr<float>(), l.w.fix_point, bias, y.data_ptr<float>(), n);
  else
    l.conv->forward(xc.data_ptr<float>(), wc.data_ptr<float>(), bias, y.data_ptr<float>(), n);
  return y;
}

// The layer and its activation in float (`fixed` as layer_sums).
torch::Tensor float_forward(const Layer& l, const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, bool fixed = false) {
  torch::Tensor y = layer_sums(l, x, w, b, fixed);
  if (l.act_params.kind != engine::ref::Activation::NONE) engine::ref::activation(y.data_ptr<float>(), y.data_ptr<float>(), y.numel(), l.act_params);
  return y;
}

// The quantized network's computation of the layer, its output fix included (x, w, b fix-quantized).
torch::Tensor forward(const Layer& l, const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  return fix(float_forward(l, x, w, b, true), l.o);
}

double sqnr_db(const torch::Tensor& w, const torch::Tensor& q) {
  const double s = w.pow(2).sum().item<double>(), n = (w - q).pow(2).sum().item<double>();
  return n > 0 ? 10.0 * std::log10(s / n) : 200.0;
}

// Images the graph runs at a time when capturing values (bounds the executor's memory), and the most
// values (of a layer's input or output) one pass of a layer's tuning holds.
constexpr int kCaptureImages = 8;
constexpr std::int64_t kTuneElements = std::int64_t{1} << 22;
// Of values held in files (FinetuneOptions::spill_dir), the bytes the process keeps resident; beyond
// them each pass lets go of the pages it passed over.
constexpr std::size_t kResidentValues = std::size_t{256} << 20;
// Images per optimizer step: more fine-tuning images than this are taken in mini-batches. (16 took
// twice the time for the same 100 steps; on 100 images, logit SQNR on 400 held-out images with 8
// against 16: MobileNetV2 14.82 / 14.18 dB, MobileNetV1 0.5 17.78 / 17.64, 0.25 16.94 / 16.61,
// ResNet50 26.13 / 26.24.)
constexpr std::int64_t kStepImages = 8;
// Images the network loss that keeps or reverts a layer's tuning is measured on.
constexpr int kJudgeImages = 32;
// Of n fine-tuning images, the last ones held out of the optimizer's steps: from 8 images a quarter.
std::int64_t held_out_images(std::int64_t n) { return n >= 8 ? n / 4 : 0; }

// An uninitialized tensor in pages of its own (common/memory.hpp's own_pages), or with `spill_dir` in
// a file there (file_pages): the values of all fine-tuning images, hundreds of MB each and a few per
// layer.
torch::Tensor empty_mapped(const std::vector<std::int64_t>& shape, torch::ScalarType type, const std::string& spill_dir) {
  std::int64_t numel = 1;
  for (std::int64_t d : shape) numel *= d;
  const std::size_t bytes = static_cast<std::size_t>(numel) * c10::elementSize(type);
  std::shared_ptr<void> pages = spill_dir.empty() ? own_pages(bytes) : file_pages(bytes, spill_dir);
  void* data = pages.get();
  return torch::from_blob(data, shape, [pages](void*) {}, torch::TensorOptions().dtype(type));
}

// A quantized value on a signed 8-bit grid is held as its integers (exact; half of float16, a quarter
// of float32), others in float32.
torch::ScalarType storage_of(const dpu::FixSpec& f) { return f.bit_width == 8 && f.if_signed ? torch::kInt8 : torch::kFloat32; }
// The fix point of op's value when it is held as integers (op a fix op), else 0.
int held_fix_point(const xir::Op* op) { return op && op->get_type() == "fix" ? dpu::fix_spec_of(*op).fix_point : 0; }
// Held values in float32: integers (kInt8) · 2^-fp.
torch::Tensor float_values(const torch::Tensor& t, int fp) {
  return t.scalar_type() == torch::kInt8 ? t.to(torch::kFloat32).mul_(std::ldexp(1.0, -fp)) : t.to(torch::kFloat32);
}

// Writes part (float) as images [begin, begin + part.size(0)) of out: n images of type `as` (kInt8: the
// integers of fix point fp), allocated with the first part (empty_mapped; values gathered a chunk of
// images at a time, in bounded memory).
void put_images(torch::Tensor& out, std::int64_t n, std::int64_t begin, const torch::Tensor& part, torch::ScalarType as, int fp,
                const std::string& spill_dir) {
  if (!out.defined()) {
    std::vector<std::int64_t> shape = part.sizes().vec();
    shape[0] = n;
    out = empty_mapped(shape, as, spill_dir);
  }
  torch::Tensor to = out.narrow(0, begin, part.size(0));  // contiguous: whole images
  if (as != torch::kInt8) {
    to.copy_(part);
  } else {
    const torch::Tensor p = part.to(torch::kFloat32).contiguous();
    dpu::quantize_array(p.data_ptr<float>(), p.numel(), dpu::FixSpec{fp, 8, true, dpu::RoundMode::DPU_ROUND}, to.data_ptr<std::int8_t>());
  }
  drop_file_pages(kResidentValues);
}

// The fine-tuning images preprocessed ([n, ...] float32, the network's input), kCaptureImages at a time.
torch::Tensor load_images(const Dataset& data, const std::vector<std::size_t>& images, const Preprocess& preprocess, const std::string& spill_dir) {
  torch::Tensor out;
  std::int64_t begin = 0;
  for (const auto& ids : batches_of(images, kCaptureImages)) {
    const Batch b = make_batch(data, ids, preprocess);
    put_images(out, static_cast<std::int64_t>(images.size()), begin, view_of(b.input), torch::kFloat32, 0, spill_dir);
    begin += b.input.shape[0];
  }
  return out;
}

// Images [begin, begin + count) of t as the engine's tensor.
engine::FloatTensor engine_tensor(const torch::Tensor& t, std::int64_t begin, std::int64_t count) {
  const torch::Tensor part = t.narrow(0, begin, count).contiguous();
  engine::FloatTensor out(std::vector<std::int32_t>(part.sizes().begin(), part.sizes().end()));
  std::copy_n(part.data_ptr<float>(), part.numel(), out.data.begin());
  return out;
}

struct StopRun {};  // thrown by an observer once it has what it came for: the rest of the graph is not run

// Takes the network's first output on images [begin, begin + o.shape[0]) of a capture.
using OutputSink = std::function<void(std::int64_t begin, const engine::FloatTensor& o)>;

// On all fine-tuning images, kCaptureImages at a time: the values of the ops `names` (NHWC, one per
// name: each run's part copied into one tensor of type `as`; all undefined when the graph never computed
// one of them) and, to `output` when given, the network's first output. Without it a run stops as soon
// as the values are seen.
// `known`: values of ops (by name; NHWC, on the images of `input` and more) the runs take as given
// instead of computing them and what only they need (FloatExecutor::run_from).
std::vector<torch::Tensor> capture(const xir::Graph& g, const engine::FloatExecutorOptions& eo, const torch::Tensor& input,
                                   const std::vector<std::string>& names, const OutputSink& output = nullptr, torch::ScalarType as = torch::kFloat32,
                                   const std::map<std::string, torch::Tensor>& known = {}, const std::string& spill_dir = {}) {
  const bool with_output = static_cast<bool>(output);
  std::unique_ptr<engine::FloatExecutor> exec;
  std::vector<torch::Tensor> c(names.size());
  const int n = static_cast<int>(input.size(0));
  for (int s = 0; s < n; s += kCaptureImages) {
    const int count = std::min(kCaptureImages, n - s);
    const engine::FloatTensor chunk = engine_tensor(input, s, count);
    if (!exec || !with_output) exec = std::make_unique<engine::FloatExecutor>(g, eo);  // a stopped run leaves its buffers behind
    std::vector<engine::FloatTensor> given;
    given.reserve(known.size());
    std::map<const xir::Op*, const engine::FloatTensor*> cut;
    for (const auto& [name, value] : known) {
      const torch::Tensor part = float_values(value.narrow(0, s, count), held_fix_point(g.get_op(name))).contiguous();
      given.push_back(engine_tensor(part, 0, count));
      cut[g.get_op(name)] = &given.back();
    }
    drop_file_pages(kResidentValues);
    std::vector<torch::Tensor> v(names.size());
    std::size_t seen = 0;
    try {
      auto outs = exec->run_from({&chunk}, cut, [&](const xir::Op* op, engine::FloatTensor& value) {
        for (std::size_t k = 0; k < names.size(); ++k)
          if (op->get_name() == names[k] && !v[k].defined()) {
            v[k] = values(value);
            ++seen;
          }
        if (!with_output && seen == names.size()) throw StopRun{};
      });
      if (with_output) output(s, outs.at(0));
    } catch (const StopRun&) {
    }
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (!v[k].defined()) {  // not computed: every value stays undefined
        c.assign(names.size(), torch::Tensor());
        return c;
      }
      put_images(c[k], n, s, v[k], as, held_fix_point(g.get_op(names[k])), spill_dir);
    }
  }
  return c;
}

// vai_q's network loss L_net: sqrt(MSE) between the quantized and the float network outputs, summed a
// chunk of images at a time (a segmentation network's score maps: 22 MB per image).
struct NetLoss {
  double se = 0.0;
  std::size_t count = 0;
  void add(const float* q, const float* f, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) se += (static_cast<double>(q[i]) - f[i]) * (q[i] - f[i]);
    count += n;
  }
  double value() const { return std::sqrt(se / static_cast<double>(std::max<std::size_t>(1, count))); }
};

// A layer's weights (conv_layout) and bias (undefined without one): the float network's (`real`, the
// prepared graph's constants of the same names) or the quantized graph's as they stand.
std::pair<torch::Tensor, torch::Tensor> params_of(const Layer& l, const xir::Graph& prepared, bool real) {
  auto pick = [&](const xir::Op* q) -> const xir::Op* {
    const xir::Op* f = real && q ? prepared.get_op(q->get_name()) : nullptr;
    return f ? f : q;
  };
  const xir::Op* w = pick(l.w_const);
  const xir::Op* b = pick(l.b_const);
  return {conv_layout(torch_layout::const_tensor(*w), *l.op), b ? torch_layout::const_tensor(*b) : torch::Tensor()};
}

FinetuneLayer tune(Layer& l, const xir::Graph& prepared, const torch::Tensor& x, const torch::Tensor& target, const FinetuneOptions& o) {
  FinetuneLayer r;
  r.op = l.op->get_name();
  const auto float_params = params_of(l, prepared, true);
  const torch::Tensor w0 = float_params.first, b0 = float_params.second;
  // From the float weights (AdaQuant), or from the calibrated ones where calibration rounded them by
  // their inputs (hessian_rounding.hpp) rather than to nearest: tuning then refines that rounding instead
  // of starting over (MobileNetV1 0.5, 10 images: 74.00% / 17.49 dB logit SQNR on 400 held-out images
  // against 72.00% / 15.79 dB; MobileNetV2, 100 images: 12.52 against 10.13 dB. Rounded to nearest, the
  // float start stays better: CIFAR ResNet32 14.49 against 12.14 dB).
  const torch::Tensor calibrated = params_of(l, prepared, false).first;
  torch::Tensor w = (torch::equal(calibrated, fix(w0, l.w)) ? w0 : calibrated).clone().requires_grad_(true);
  torch::Tensor b;
  if (b0.defined()) b = b0.clone().requires_grad_(true);
  double factor = o.lr_factor;
  if (sqnr_db(w0, fix(w0, l.w)) / 8.0 > 4.5) factor *= 0.1;  // weights that quantize well move less
  double lr_w = factor * w0.std().item<double>();
  double lr_b = b.defined() && b0.numel() > 1 ? factor * b0.std().item<double>() : 0.0;
  std::unique_ptr<torch::optim::Adam> opt_w, opt_b;
  auto make_optimizers = [&]() {
    opt_w = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{w}, torch::optim::AdamOptions(std::max(lr_w, 1e-12)));
    if (b.defined() && lr_b > 0) opt_b = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{b}, torch::optim::AdamOptions(lr_b));
  };
  make_optimizers();
  // The loss on images [begin, begin + count) and, when asked, its gradients: a chunk of images at a
  // time, each chunk's mean squared error weighted by its share — the loss and gradient of one pass over
  // those images, in bounded memory.
  const std::int64_t n = x.size(0);
  const std::int64_t per_image = std::max<std::int64_t>(1, std::max(x[0].numel(), target[0].numel()));
  const std::int64_t chunk = std::max<std::int64_t>(1, kTuneElements / per_image);
  auto loss_over = [&](std::int64_t begin, std::int64_t count, bool grad) {
    torch::NoGradGuard no_grad;
    const torch::Tensor wq = fix(w.detach(), l.w), bq = b.defined() ? fix(b.detach(), l.b) : b;
    torch::Tensor gw, gb, dw, db;  // the gradients (of the fixed parameters, passed straight to w and b), a chunk's
    if (grad) {
      gw = torch::zeros_like(wq), dw = torch::empty_like(wq);
      if (b.defined()) gb = torch::zeros_like(bq), db = torch::empty_like(bq);
    }
    double total = 0.0;
    for (std::int64_t s = begin; s < begin + count; s += chunk) {
      const std::int64_t c = std::min(chunk, begin + count - s);
      const torch::Tensor xc = float_values(x.narrow(0, s, c), l.input_fp).contiguous(), tc = target.narrow(0, s, c).contiguous();
      torch::Tensor y = layer_sums(l, xc, wq, bq, true);
      const double mean = static_cast<double>(c) / static_cast<double>(count) / static_cast<double>(y.numel());
      float* dy = grad ? y.data_ptr<float>() : nullptr;  // the gradient replaces the sums
      total += mean * finetune::fixed_output_sse(y.data_ptr<float>(), tc.data_ptr<float>(), y.numel(), l.act_params, l.o, dy, 2.0 * mean);
      if (grad) {
        l.conv->backward(xc.data_ptr<float>(), dy, dw.data_ptr<float>(), db.defined() ? db.data_ptr<float>() : nullptr, static_cast<int>(c));
        gw += dw;
        if (gb.defined()) gb += db;
      }
      drop_file_pages(kResidentValues);  // values held in files: the pages passed over back, beyond the budget
    }
    // The pull back to the float weights: mean((w − w0)²).
    const torch::Tensor d = w.detach() - w0;
    total += d.pow(2).mean().item<double>();
    if (grad) {
      gw += d * (2.0 / static_cast<double>(d.numel()));
      w.mutable_grad() = gw;
      if (b.defined()) b.mutable_grad() = gb;
    }
    return total;
  };
  // From 8 images, a quarter (the last) is held out of the steps: the epochs' losses that decide which
  // parameters are kept are theirs (fitting all of them overfits: MobileNetV2, 10 images, logit SQNR
  // on 400 other images 13.05 dB against 14.56 dB held out; MobileNetV1 0.5, 100 images: 16.84 against
  // 17.57 dB). An epoch steps once per mini-batch of kStepImages of the rest (vai_q's 10 images: one
  // step), within the same budget of steps (max_epochs) in all.
  const std::int64_t held = held_out_images(n), fit = n - held;
  const std::int64_t step_images = std::min<std::int64_t>(fit, kStepImages);
  const std::int64_t steps_per_epoch = (fit + step_images - 1) / step_images;
  const int max_epochs = static_cast<int>(std::max<std::int64_t>(1, (o.max_epochs + steps_per_epoch - 1) / steps_per_epoch));
  double best = std::numeric_limits<double>::infinity();
  torch::Tensor best_w = w.detach().clone(), best_b = b.defined() ? b.detach().clone() : b;
  auto step = [&]() {
    opt_w->step();
    if (opt_b) opt_b->step();
  };
  auto zero_grad = [&]() {
    opt_w->zero_grad();
    if (opt_b) opt_b->zero_grad();
  };
  auto advance = [&]() {
    for (std::int64_t s = 0; s < fit; s += step_images) {
      zero_grad();
      loss_over(s, std::min(step_images, fit - s), true);
      step();
    }
  };
  auto restore_best = [&]() {
    torch::NoGradGuard ng;
    w.copy_(best_w);
    if (b.defined()) b.copy_(best_b);
  };
  r.loss_before = loss_over(0, n, false);
  for (int epoch = 0; epoch <= max_epochs; ++epoch) {
    const double now = held ? loss_over(fit, held, false) : loss_over(0, n, false);
    if (now < best) {
      best = now;
      best_w = w.detach().clone();
      if (b.defined()) best_b = b.detach().clone();
      if (epoch == max_epochs) break;
      r.epochs = epoch + 1;
      advance();
      continue;
    }
    // Worse: back to the best parameters, and on from them with half the learning rates (and fresh
    // moment estimates: the old ones point the way that overshot).
    restore_best();
    lr_w /= 2;
    lr_b /= 2;
    if ((lr_w < o.min_lr && lr_b < o.min_lr) || epoch == max_epochs) break;
    make_optimizers();
    advance();
  }
  restore_best();
  best = loss_over(0, n, false);
  r.loss_after = best;
  // The fine-tuned parameters' fix-quantized values into the quantized graph. The float graph stays as
  // it is: it is every later layer's target (written back, its tuned copies drifted from the network
  // the targets stand for — MobileNetV1 0.5 on 100 images: network loss 1.20 instead of 0.53).
  torch_layout::set_const(*l.w_const, conv_layout(fix(best_w, l.w), *l.op));
  if (b.defined()) torch_layout::set_const(*l.b_const, fix(best_b, l.b));
  return r;
}

// Whether op's value is read by an add (a residual connection): such values are kept until the add's
// value is computed from them.
bool feeds_add(const xir::Op* op) {
  for (const xir::Op* user : op->get_fanout_ops())
    if (user->get_type() == "add") return true;
  return false;
}

// Values of a graph (by op name; NHWC, all fine-tuning images) kept for the adds that read them, and
// what follows from them through add, activation and (quantized graph) fix ops: the input of a layer
// after a residual connection, without running the network. Undefined when op's value does not follow
// from kept values alone.
struct Kept {
  std::map<std::string, torch::Tensor> values;
  std::string spill_dir;  // where eval's results are held (empty_mapped)
  // op's value on all images, kCaptureImages at a time, into one tensor of type `as`: computed whole,
  // the sums and activations in float held ResNet50's 56×56 stage on 100 images several times over
  // (1.8 GB more at layer1.1's input).
  // `last_read(name)`: the caller drops that value after this; the result may then take its place
  // (each chunk of images is read before it is written): ResNet50's add after layer1, 100 images, holds
  // 0.5 GB less.
  torch::Tensor eval(const xir::Op* op, std::vector<std::string>& used, torch::ScalarType as,
                     const std::function<bool(const std::string&)>& last_read) const {
    torch::NoGradGuard ng;
    if (values.empty()) return torch::Tensor();
    const std::int64_t n = values.begin()->second.size(0);
    torch::Tensor out;
    for (std::int64_t s = 0; s < n; s += kCaptureImages) {
      const std::int64_t c = std::min<std::int64_t>(kCaptureImages, n - s);
      std::vector<std::string> read;
      const torch::Tensor part = eval_images(op, read, s, c);
      if (!part.defined()) {  // the values it read before it found one missing are dropped all the same
        used = read;
        return part;
      }
      if (s == 0) {
        used = read;
        for (const std::string& name : read) {
          const torch::Tensor& v = values.at(name);  // held nowhere else, of the result's type and shape
          if (!out.defined() && last_read(name) && v.scalar_type() == as && v.size(0) == n && v.sizes().slice(1).equals(part.sizes().slice(1)) &&
              v.use_count() == 1 && v.storage().use_count() == 1)
            out = v;
        }
      }
      put_images(out, n, s, part, as, held_fix_point(op), spill_dir);
    }
    return out;
  }

 private:
  // Images [begin, begin + count) of op's value, in float.
  torch::Tensor eval_images(const xir::Op* op, std::vector<std::string>& used, std::int64_t begin, std::int64_t count) const {
    auto it = values.find(op->get_name());
    if (it != values.end()) {
      used.push_back(it->first);
      return float_values(it->second.narrow(0, begin, count), held_fix_point(op));
    }
    const std::string& t = op->get_type();
    if (t == "add") {
      torch::Tensor sum;
      for (const xir::Op* in : op->get_input_ops("input")) {
        const torch::Tensor v = eval_images(in, used, begin, count);
        if (!v.defined() || (sum.defined() && !v.sizes().equals(sum.sizes()))) return torch::Tensor();
        sum = sum.defined() ? sum + v : v;
      }
      return sum;
    }
    const xir::Op* in = op->get_input_num() == 1 ? op->get_input_op("input") : nullptr;
    if (!in) return torch::Tensor();
    const torch::Tensor x = eval_images(in, used, begin, count);
    if (!x.defined()) return x;
    if (t == "fix") return fix(x, dpu::fix_spec_of(*op));
    return activation(*op, x);
  }
};

}  // namespace

bool fast_finetune_supported() { return true; }

FinetuneReport fast_finetune(QuantGraph& qg, const xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& images,
                             const Preprocess& preprocess, const FinetuneOptions& options) {
  start_torch_threads();
  release_freed_memory();
  const auto t0 = std::chrono::steady_clock::now();
  FinetuneReport report;
  std::vector<Layer> layers = find_layers(*qg.graph);
  if (layers.empty()) throw std::runtime_error("fast finetune: graph '" + qg.graph->get_name() + "' has no layer with quantized parameters");
  LOG(INFO) << "=>Preparing data for fast finetuning module parameters (" << images.size() << " images, " << layers.size() << " layers)";
  const torch::Tensor inputs = load_images(data, images, preprocess, options.spill_dir);
  const int n_images = static_cast<int>(inputs.size(0));
  // As vai_q's L_net check: a layer's tuning stays only if the network output loss does not rise;
  // otherwise its calibrated parameters come back. The loss is measured on the first kJudgeImages
  // fine-tuning images (one run of the quantized network after each tuned layer; on the images held out
  // of the steps instead, the held-out logit SQNR came out 0.1–0.4 dB lower on three of four networks).
  engine::FloatExecutorOptions float_run;
  float_run.fuse = false;
  const engine::FloatExecutorOptions quantized_run = calibrated_network_options();
  const torch::Tensor judge_input = inputs.narrow(0, 0, std::min<int>(kJudgeImages, n_images));
  torch::Tensor float_out;  // the float network's output on judge_input (values of all images: empty_mapped)
  capture(prepared, float_run, judge_input, {}, [&](std::int64_t begin, const engine::FloatTensor& o) {
    put_images(float_out, judge_input.size(0), begin, view_of(o), torch::kFloat32, 0, options.spill_dir);
  });
  engine::FloatExecutorOptions judge_run = calibrated_network_options();
  judge_run.fuse = true;  // no value is observed: a convolution with its activation (or residual add) in one step
  // `known`: values of the quantized network as it stands (by op name, all fine-tuning images), which
  // the run takes from there on.
  auto network_loss = [&](const std::map<std::string, torch::Tensor>& known) {
    NetLoss loss;
    capture(*qg.graph, judge_run, judge_input, {}, [&](std::int64_t begin, const engine::FloatTensor& o) {
      const torch::Tensor f = float_out.narrow(0, begin, o.shape[0]).contiguous();
      if (static_cast<std::size_t>(f.numel()) != o.data.size()) throw std::logic_error("fast finetune: the networks' outputs differ in size");
      loss.add(o.data.data(), f.data_ptr<float>(), o.data.size());
      drop_file_pages(kResidentValues);
    }, torch::kFloat32, known);
    return loss.value();
  };
  double best_net = network_loss({});
  ConstSnapshot last;  // the parameters before the last tuned layer
  double judge_seconds = 0.0, data_seconds = 0.0;
  auto judge = [&](FinetuneLayer& r, const std::map<std::string, torch::Tensor>& known) {
    const auto j0 = std::chrono::steady_clock::now();
    const double net = network_loss(known);
    // The check's executor (the int8 network's weights and buffers, about 0.7 GB on ResNet50) back to
    // the system: freed, the heap kept it under the values computed next (ResNet50, 100 images: peak
    // RSS 2.34 against 2.79 GB; 15 s more of checks, which fault the pages in again, 6 s more in all).
    release_freed_memory();
    judge_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - j0).count();
    if (options.check_chained_inputs) report.cut_loss_rel = std::max(report.cut_loss_rel, std::abs(network_loss({}) - net) / std::max(net, 1e-30));
    if (net > best_net) {
      last.restore();
      r.reverted = true;
      LOG(INFO) << "Fast finetune " << r.op << ": network loss " << best_net << " -> " << net << ", reverted";
      return;
    }
    best_net = net;
  };
  // Memory stays bounded by one layer: its quantized input and float input are captured when it is
  // tuned (kCaptureImages at a time; the runs stop at the layer), or — when it reads the layer tuned just
  // before — computed from that layer's (its output with the parameters it ended with, no network run);
  // the tuning passes over them a chunk at a time.
  struct Inputs {
    const Layer* layer = nullptr;  // whose inputs these are
    torch::Tensor quantized, real;  // NHWC on all fine-tuning images (real: the float network's)
  } held;
  Kept kept_q, kept_f;  // quantized graph's values, float graph's values
  kept_q.spill_dir = kept_f.spill_dir = options.spill_dir;
  // f over x (held at fix point x_fp when integers) kCaptureImages images at a time, into one tensor of
  // type `as` (at fix point fp when integers). (Chunks sized by x alone were too large where f's output
  // and the convolution's buffers are many times x: 26 images of ResNet50's stem, 0.5 GB.)
  auto chunked = [&](const torch::Tensor& x, int x_fp, torch::ScalarType as, int fp, const std::function<torch::Tensor(const torch::Tensor&)>& f) {
    torch::NoGradGuard ng;
    const std::int64_t chunk = kCaptureImages;
    torch::Tensor out;
    for (std::int64_t s = 0; s < x.size(0); s += chunk) {
      const std::int64_t c = std::min(chunk, x.size(0) - s);
      put_images(out, x.size(0), s, f(float_values(x.narrow(0, s, c), x_fp)), as, fp, options.spill_dir);
    }
    return out;
  };
  // A layer's output in the quantized network on all fine-tuning images, from its quantized input, with
  // the parameters it stands with.
  auto quantized_output = [&](const Layer& p, const torch::Tensor& input) {
    const auto [qw, qb] = params_of(p, prepared, false);
    return chunked(input, p.input_fp, storage_of(p.o), p.o.fix_point, [&, qw = qw, qb = qb](const torch::Tensor& x) {
      return forward(p, x, fix(qw, p.w), qb.defined() ? fix(qb, p.b) : qb);
    });
  };
  // Tests: inputs computed without a network run against the networks' own (fp: the quantized input's
  // fix point, for the difference in LSBs).
  auto check_inputs = [&](const Layer& l, const xir::Op* real_in, const Inputs& in, int fp) {
    const torch::Tensor q = capture(*qg.graph, quantized_run, inputs, {l.input->get_name()}).at(0);
    const torch::Tensor f = capture(prepared, float_run, inputs, {real_in->get_name()}).at(0);
    if (!q.defined() || !f.defined() || !q.sizes().equals(in.quantized.sizes()) || !f.sizes().equals(in.real.sizes()))
      fail(l.op, "computed inputs: the networks' values have other shapes");
    const torch::Tensor dq = (q.to(torch::kFloat32) - float_values(in.quantized, fp)).abs();
    report.chain_mismatch = std::max(report.chain_mismatch, (dq > 0).to(torch::kDouble).mean().item<double>());
    report.chain_max_lsb = std::max(report.chain_max_lsb, dq.max().item<double>() * std::ldexp(1.0, fp));
    report.chain_float_rel = std::max(report.chain_float_rel, ((f - in.real).abs().max() / f.abs().max().clamp_min(1e-30)).item<double>());
  };
  // The layers still to come that read each value (by name, in each graph). A layer's input is kept for
  // them as for an add: ResNet's downsampling convolution reads its block's input after the block's
  // three convolutions (without it, runs of both networks up to there: 3.5–7 s each on 100 images).
  auto float_input = [&](const Layer& l) {
    const xir::Op* real_op = prepared.get_op(l.op->get_name());
    const xir::Op* real_in = real_op ? real_op->get_input_op("input", 0) : nullptr;
    if (!real_in) fail(l.op, "the float graph has no such layer");
    return real_in;
  };
  std::map<std::string, int> readers_q, readers_f;
  for (const Layer& l : layers) ++readers_q[l.input->get_name()], ++readers_f[float_input(l)->get_name()];
  report.layers.reserve(layers.size());
  std::size_t index = 0;
  for (Layer& l : layers) {
    const auto l0 = std::chrono::steady_clock::now();
    const std::string step = "Fast finetune [" + std::to_string(++index) + "/" + std::to_string(layers.size()) + "] " + l.op->get_name();
    // A layer with fewer output positions in the fine-tuning set than 4× its fan-in would only fit
    // those images (the classifier on 10 images, late 1×1 convs at 7×7): left as calibrated. When its
    // inputs come without a network run, its outputs are still passed on to the layers after it.
    const IV wshape = l.w_const->get_output_tensor()->get_shape();
    const IV oshape = l.op->get_output_tensor()->get_shape();
    const std::int64_t fan_in = l.op->get_type() == "matmul" ? (l.op->get_attr_or<bool>("transpose_b", false) ? wshape[1] : wshape[0])
                                : l.op->get_type() == "depthwise-conv2d" ? static_cast<std::int64_t>(wshape[1]) * wshape[2]
                                                                          : static_cast<std::int64_t>(wshape[1]) * wshape[2] * wshape[3];
    const std::int64_t positions = n_images * (oshape.size() == 4 ? static_cast<std::int64_t>(oshape[1]) * oshape[2] : 1);
    const bool too_few = positions < 4 * fan_in;
    auto leave_as_calibrated = [&]() {
      FinetuneLayer skipped;
      skipped.op = l.op->get_name();
      report.layers.push_back(skipped);
      LOG(INFO) << step << ": left as calibrated (" << positions << " output positions < 4 x fan-in " << fan_in << ")";
    };
    const xir::Op* real_in = float_input(l);
    --readers_q[l.input->get_name()], --readers_f[real_in->get_name()];
    // The layer's input in the quantized network as fine-tuned so far, and in the float network.
    Inputs in;
    in.layer = &l;
    if (held.layer && held.layer->output_fix == l.input->get_name() && held.layer->target == real_in->get_name()) {
      const Layer& p = *held.layer;
      const auto [fw, fb] = params_of(p, prepared, true);
      in.quantized = quantized_output(p, held.quantized);
      held.quantized = torch::Tensor();
      in.real = chunked(held.real, 0, torch::kFloat32, 0, [&](const torch::Tensor& x) { return float_forward(p, x, fw, fb); });
      held = Inputs();
      ++report.chained;
      if (options.check_chained_inputs) check_inputs(l, real_in, in, p.o.fix_point);
    } else {
      held = Inputs();  // not read here: gone before the values below are computed (ResNet50 layer2.0: 0.12 GB)
      // After a residual connection: the add (and what follows it) over the values kept for it; or a
      // value kept for this layer. A kept value is dropped once read unless a layer to come reads it,
      // also when the add cannot be computed from kept values (a shortcut through a slice and a pad)
      // and both networks run up to the layer.
      std::vector<std::string> used_q, used_f;
      const int fp = l.input->get_type() == "fix" ? dpu::fix_spec_of(*l.input).fix_point : 0;
      const torch::ScalarType q_type = l.input->get_type() == "fix" ? storage_of(dpu::fix_spec_of(*l.input)) : torch::kFloat32;
      in.quantized = kept_q.eval(l.input, used_q, q_type, [&](const std::string& n) { return readers_q[n] <= 0; });
      for (const auto& n : used_q)  // before the float values are computed: not both graphs' at once
        if (readers_q[n] <= 0) kept_q.values.erase(n);
      in.real = kept_f.eval(real_in, used_f, torch::kFloat32, [&](const std::string& n) { return readers_f[n] <= 0; });
      for (const auto& n : used_f)
        if (readers_f[n] <= 0) kept_f.values.erase(n);
      const bool computed = in.quantized.defined() && in.real.defined();
      if (!computed && too_few) {  // not worth two network runs: the next layer runs them if it needs them
        leave_as_calibrated();
        continue;
      }
      if (!computed) {
        in.quantized = capture(*qg.graph, quantized_run, inputs, {l.input->get_name()}, nullptr, q_type, {}, options.spill_dir).at(0);
        if (!in.quantized.defined()) fail(l.op, "its input '" + l.input->get_name() + "' was not observed");
        in.real = capture(prepared, float_run, inputs, {real_in->get_name()}, nullptr, torch::kFloat32, {}, options.spill_dir).at(0);
        if (!in.real.defined()) fail(l.op, "the float graph did not compute its input '" + real_in->get_name() + "'");
      }
      if (computed) {
        ++report.from_kept;
        if (options.check_chained_inputs) check_inputs(l, real_in, in, fp);
      }
    }
    const auto [fw, fb] = params_of(l, prepared, true);
    auto float_output = [&, fw = fw, fb = fb]() {
      return chunked(in.real, 0, torch::kFloat32, 0, [&](const torch::Tensor& x) { return float_forward(l, x, fw, fb); });
    };
    torch::Tensor target;
    if (too_few) {
      // Left as calibrated, but its inputs came without a network run: the layers after it take theirs
      // from them in turn (ResNet50's 7×7 stage on 100 images: no runs of both networks, 7 s each).
      leave_as_calibrated();
    } else {
      target = float_output();
      const auto t1 = std::chrono::steady_clock::now();
      data_seconds += std::chrono::duration<double>(t1 - l0).count();
      last = ConstSnapshot();
      for (xir::Op* c : {l.w_const, l.b_const}) last.keep(c);
      FinetuneLayer r = tune(l, prepared, in.quantized, target, options);
      if (r.loss_after < r.loss_before) {  // otherwise the parameters are the calibrated ones
        // The network from the layer's input and the values kept for later (a residual connection's):
        // what comes before the layer is as it was (ResNet50, 100 images: 21 instead of 37 s of checks).
        std::map<std::string, torch::Tensor> known = kept_q.values;
        known[l.input->get_name()] = in.quantized;
        judge(r, known);
      }
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - l0).count();
      LOG(INFO) << step << ": loss " << r.loss_before << " -> " << r.loss_after << (r.reverted ? " reverted" : "") << " (" << r.epochs
                << " epochs, " << std::fixed << std::setprecision(1) << r.seconds << " s, "
                << std::chrono::duration<double>(t1 - l0).count() << " s of it for the data; RSS " << std::setprecision(2)
                << static_cast<double>(resident_bytes()) / (1 << 30) << " GB)" << std::defaultfloat;
      report.layers.push_back(r);
    }
    // Values a residual add or a layer to come reads: this layer's inputs, and its outputs (with the
    // parameters it ended with).
    if (feeds_add(l.input) || readers_q[l.input->get_name()] > 0) kept_q.values[l.input->get_name()] = in.quantized;
    if (feeds_add(real_in) || readers_f[real_in->get_name()] > 0) kept_f.values[real_in->get_name()] = in.real;
    const xir::Op* out_fix = qg.graph->get_op(l.output_fix);
    const xir::Op* real_out = prepared.get_op(l.target);
    if (out_fix && real_out && feeds_add(out_fix) && feeds_add(real_out)) {
      kept_q.values[l.output_fix] = quantized_output(l, in.quantized);
      kept_f.values[l.target] = target.defined() ? target : float_output();
    }
    held = std::move(in);
  }
  LOG(INFO) << "Fast finetune: " << report.chained << " of " << layers.size() << " layers took their inputs from the layer before, "
            << report.from_kept << " from the values a residual connection adds; " << std::fixed << std::setprecision(1) << data_seconds
            << " s went to the tuned layers' inputs and targets, " << judge_seconds << " s to the network-loss checks" << std::defaultfloat;
  report.net_loss = best_net;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

void save_finetuned_params(const xir::Graph& quantized, const std::string& path) {
  c10::Dict<std::string, at::Tensor> params;
  for (const xir::Op* op : quantized.topological_sort()) {
    if (op->get_type() != "const" || op->get_fanout_num() != 1 || op->get_fanout_ops()[0]->get_type() != "fix") continue;
    params.insert(op->get_name(), torch_layout::const_tensor(*op));
  }
  const std::vector<char> bytes = torch::pickle_save(params);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

int load_finetuned_params(xir::Graph& quantized, const std::string& path) {
  start_torch_threads();
  const std::string bytes = read_file(path);
  c10::IValue v;
  try {
    v = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a fine-tuned parameter file (" + e.what() + ")");
  }
  if (!v.isGenericDict()) throw std::runtime_error(path + ": not a fine-tuned parameter file (expected a name → tensor dict)");
  int n = 0;
  for (const auto& item : v.toGenericDict()) {
    const std::string name = item.key().toStringRef();
    xir::Op* op = quantized.get_op(name);
    if (!op || op->get_type() != "const") throw std::runtime_error(path + ": parameter '" + name + "' is not a constant of graph '" + quantized.get_name() + "'");
    const at::Tensor t = item.value().toTensor().contiguous().to(torch::kFloat32);
    if (t.numel() != op->get_output_tensor()->get_element_num())
      throw std::runtime_error(path + ": parameter '" + name + "' has " + std::to_string(t.numel()) + " values, the graph's " +
                               std::to_string(op->get_output_tensor()->get_element_num()));
    torch_layout::set_const(*op, t);
    ++n;
  }
  return n;
}

}  // namespace dputk
