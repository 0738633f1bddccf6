// <Graph>_int.pt: the quantizer form as a TorchScript module built with libtorch. Activations are NCHW
// inside (like the PyTorch source model); XIR's NHWC axes, OHWI weights and {w,h} / {l,r,t,b}
// attributes are converted op by op. fix ops become fix_<mode>(x, 2^fp) with the DPU's rounding.
#include "dputk/quantizer/deploy.hpp"

#include <torch/script.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <map>
#include <sstream>

#include "dputk/dpu/fix_math.hpp"
#include "dputk/dpu/op_error.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "torch_fix.hpp"
#include "torch_layout.hpp"
#include "torch_threads.hpp"

namespace dputk {

namespace {

using IV = std::vector<std::int32_t>;

[[noreturn]] void fail(const xir::Op* op, const std::string& why) { dpu::op_fail(*op, why, "TorchScript export of"); }

std::string num(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  std::string t = s.str();
  if (t.find_first_of(".eEn") == std::string::npos) t += ".0";
  return t;
}

std::string list(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

int nchw_axis(int axis, std::size_t rank) {
  if (axis < 0) axis += static_cast<int>(rank);
  static const int map4[] = {0, 2, 3, 1};
  return rank == 4 ? map4[axis] : axis;
}

class Writer {
 public:
  explicit Writer(const xir::Graph& g) : g_(g), m_(g.get_name()) {}

  torch::jit::Module build() {
    code_ << torch_fix::source() << "def forward(self, x: Tensor):\n";
    std::vector<std::string> outputs;
    for (const xir::Op* op : g_.topological_sort()) {
      if (param(op) || shape_only(op)) continue;
      emit(op);
      if (op->get_fanout_num() == 0) outputs.push_back(value(op));
    }
    if (outputs.empty()) throw std::runtime_error("TorchScript export: graph '" + g_.get_name() + "' has no output");
    code_ << "    return " << (outputs.size() == 1 ? outputs[0] : "(" + join(outputs) + ")") << "\n";
    m_.define(code_.str());
    return m_;
  }

 private:
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  // A constant (const, or const → fix) as an NHWC-layout float tensor, or nullptr.
  const at::Tensor* param(const xir::Op* op) {
    auto it = params_.find(op);
    if (it != params_.end()) return &it->second;
    at::Tensor t;
    if (op->get_type() == "const") {
      t = torch_layout::const_tensor(*op);
    } else if (op->get_type() == "fix" && op->get_input_op("input")->get_type() == "const") {
      const at::Tensor* c = param(op->get_input_op("input"));
      const dpu::FixSpec f{op->get_attr<std::int32_t>("fix_point"), op->get_attr<std::int32_t>("bit_width"), true,
                              dpu::parse_round_mode(op->get_attr<std::string>("round_mode"))};
      t = c->clone();
      float* p = t.data_ptr<float>();
      for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dpu::fake_quantize(p[i], f);
    } else {
      return nullptr;
    }
    return &params_.emplace(op, std::move(t)).first->second;
  }

  // Shape plumbing (vai_q's reshape `shape` from a stack of consts) is not a value of the network.
  static bool shape_only(const xir::Op* op) {
    if (op->get_type() != "stack") return false;
    for (const xir::Op* u : op->get_fanout_ops())
      if (u->get_input_ops("shape").empty() || u->get_input_ops("shape")[0] != op) return false;
    return true;
  }

  std::string buffer(const at::Tensor& t) {
    const std::string name = "p" + std::to_string(buffers_++);
    m_.register_buffer(name, t.contiguous());
    return "self." + name;
  }

  std::string value(const xir::Op* op) const { return names_.at(op); }
  std::string in(const xir::Op* op, int i = 0) const {
    const auto ins = op->get_input_ops("input");
    if (static_cast<int>(ins.size()) <= i) fail(op, "missing input " + std::to_string(i));
    return value(ins[static_cast<std::size_t>(i)]);
  }
  std::string assign(const xir::Op* op, const std::string& expr) {
    const std::string v = "v" + std::to_string(names_.size());
    code_ << "    " << v << " = " << expr << "\n";
    names_[op] = v;
    return v;
  }

  // Explicit padding (XIR {left, right, top, bottom}) when asymmetric; returns the symmetric [ph, pw].
  std::string padded(const xir::Op* op, const std::string& x, IV pad, double fill, std::vector<std::int64_t>* sym) {
    if (pad[0] == pad[1] && pad[2] == pad[3]) {
      *sym = {pad[2], pad[0]};
      return x;
    }
    *sym = {0, 0};
    const std::string v = "v" + std::to_string(names_.size()) + "_pad";
    code_ << "    " << v << " = torch.constant_pad_nd(" << x << ", " << list({pad[0], pad[1], pad[2], pad[3]}) << ", " << num(fill) << ")\n";
    return v;
  }

  void emit(const xir::Op* op) {
    const std::string& t = op->get_type();
    const std::size_t rank = op->get_output_tensor()->get_shape().size();
    if (t == "data") {
      names_[op] = "x";
      return;
    }
    if (t == "fix") {
      const std::string mode = op->get_attr<std::string>("round_mode");
      const std::string fn = torch_fix::method(dpu::parse_round_mode(mode));
      if (op->get_attr<std::int32_t>("bit_width") != 8) fail(op, "only 8-bit fix ops are exported");
      assign(op, "self." + fn + "(" + in(op) + ", " + num(std::ldexp(1.0, op->get_attr<std::int32_t>("fix_point"))) + ")");
      return;
    }
    if (t == "conv2d" || t == "depthwise-conv2d") {
      const at::Tensor* w = param(op->get_input_op("weights"));
      if (!w) fail(op, "weights must be constant");
      const bool dw = t == "depthwise-conv2d";
      const at::Tensor tw = torch_layout::weights_to_torch(*w, *op);
      const xir::Op* b = op->get_input_op("bias");
      const at::Tensor* tb = b ? param(b) : nullptr;
      if (b && !tb) fail(op, "bias must be constant");
      const IV k = op->get_attr<IV>("kernel"), s = op->get_attr<IV>("stride"), d = op->get_attr_or<IV>("dilation", {1, 1});
      std::vector<std::int64_t> sym;
      const std::string x = padded(op, in(op), op->get_attr_or<IV>("pad", {0, 0, 0, 0}), 0.0, &sym);
      const std::int64_t groups = dw ? w->size(3) : op->get_attr_or<std::int32_t>("group", 1);
      assign(op, "torch.conv2d(" + x + ", " + buffer(tw) + ", " + (tb ? buffer(*tb) : std::string("None")) + ", " + list({s[1], s[0]}) + ", " +
                     list(sym) + ", " + list({d[1], d[0]}) + ", " + std::to_string(groups) + ")");
      (void)k;
      return;
    }
    if (t == "relu") return void(assign(op, "torch.relu(" + in(op) + ")"));
    if (t == "relu6") return void(assign(op, "torch.clamp(" + in(op) + ", 0.0, 6.0)"));
    if (t == "clamp")
      return void(assign(op, "torch.clamp(" + in(op) + ", " + num(op->get_attr<float>("min")) + ", " + num(op->get_attr<float>("max")) + ")"));
    if (t == "leaky-relu") return void(assign(op, "torch.leaky_relu(" + in(op) + ", " + num(op->get_attr<float>("alpha")) + ")"));
    if (t == "sigmoid") return void(assign(op, "torch.sigmoid(" + in(op) + ")"));
    if (t == "hard-sigmoid") return void(assign(op, "torch.hardsigmoid(" + in(op) + ")"));  // relu6(x + 3) / 6
    if (t == "hard-sigmoid-fix")  // the DPU's 2731 / 2^14 for 1/6
      return void(assign(op, "torch.clamp(" + in(op) + " + 3.0, 0.0, 6.0) * 0.16668701171875"));
    if (t == "hard-swish") return void(assign(op, "torch.hardswish(" + in(op) + ")"));
    if (t == "tanh") return void(assign(op, "torch.tanh(" + in(op) + ")"));
    if (t == "add" || t == "mul") {
      std::vector<std::string> terms;
      for (const xir::Op* i : op->get_input_ops("input")) {
        if (const at::Tensor* p = param(i)) {
          if (p->numel() != 1) fail(op, "only scalar constants are supported as operands");
          terms.push_back(num(p->item<float>()));
        } else {
          terms.push_back(value(i));
        }
      }
      std::string e = terms[0];
      for (std::size_t i = 1; i < terms.size(); ++i) e += (t == "add" ? " + " : " * ") + terms[i];
      return void(assign(op, e));
    }
    if (t == "maxpool2d" || t == "avgpool2d") {
      const bool global = op->get_attr_or<bool>("global", false);
      if (global && t == "avgpool2d") return void(assign(op, "torch.mean(" + in(op) + ", [2, 3], True)"));
      const IV& ishape = op->get_input_tensor("input")->get_shape();
      const IV k = global ? IV{ishape[2], ishape[1]} : op->get_attr<IV>("kernel");
      const IV s = global ? k : op->get_attr<IV>("stride");
      // the XIR op's own output size decides the padding actually used (FLOOR/CEIL modes)
      IV pad = global ? IV{0, 0, 0, 0} : op->get_attr_or<IV>("pad", {0, 0, 0, 0});
      const IV& oshape = op->get_output_tensor()->get_shape();
      pad[3] = std::max(0, (oshape[1] - 1) * s[1] + k[1] - ishape[1] - pad[2]);
      pad[1] = std::max(0, (oshape[2] - 1) * s[0] + k[0] - ishape[2] - pad[0]);
      std::vector<std::int64_t> sym;
      const bool max = t == "maxpool2d";
      const std::string x = padded(op, in(op), pad, max ? -3.0e38 : 0.0, &sym);
      if (max)
        return void(assign(op, "torch.max_pool2d(" + x + ", " + list({k[1], k[0]}) + ", " + list({s[1], s[0]}) + ", " + list(sym) + ", [1, 1], False)"));
      return void(assign(op, "torch.avg_pool2d(" + x + ", " + list({k[1], k[0]}) + ", " + list({s[1], s[0]}) + ", " + list(sym) + ", False, True)"));
    }
    if (dpu::is_layout_op(t)) {
      const IV& out = op->get_output_tensor()->get_shape();
      const std::size_t in_rank = op->get_input_tensor("input")->get_shape().size();
      std::string x = in(op);
      if (in_rank == 4) x = x + ".permute(0, 2, 3, 1)";  // XIR reshapes NHWC element order
      std::vector<std::int64_t> shape{-1};
      for (std::size_t i = 1; i < out.size(); ++i) shape.push_back(out[i]);
      std::string e = "torch.reshape(" + x + ", " + list(shape) + ")";
      if (out.size() == 4) e += ".permute(0, 3, 1, 2)";
      return void(assign(op, e));
    }
    if (t == "matmul") {
      const auto ins = op->get_input_ops("input");
      const at::Tensor* w = ins.size() == 2 ? param(ins[1]) : nullptr;
      if (!w || op->get_attr_or<bool>("transpose_a", false)) fail(op, "only x · Wᵀ / x · W with constant W is supported");
      const at::Tensor tw = torch_layout::weights_to_torch(*w, *op);  // [out, in]
      const xir::Op* b = op->get_input_op("bias");
      std::string e = "torch.matmul(" + value(ins[0]) + ", " + buffer(tw.t()) + ")";
      if (b) {
        const at::Tensor* tb = param(b);
        if (!tb) fail(op, "bias must be constant");
        e += " + " + buffer(*tb);
      }
      return void(assign(op, e));
    }
    if (t == "concat") {
      std::vector<std::string> xs;
      for (const xir::Op* i : op->get_input_ops("input")) xs.push_back(value(i));
      return void(assign(op, "torch.cat([" + join(xs) + "], " + std::to_string(nchw_axis(op->get_attr<std::int32_t>("axis"), rank)) + ")"));
    }
    if (t == "pad") {
      const IV p = op->get_attr<IV>("paddings");
      if (op->get_attr_or<std::string>("mode", "CONSTANT") != "CONSTANT") fail(op, "only constant padding is supported");
      std::vector<std::int64_t> tp;
      // torch: pairs from the last dimension backwards; NCHW order of NHWC pairs [n, h, w, c]
      const std::vector<int> order = rank == 4 ? std::vector<int>{2, 1, 3, 0} : std::vector<int>{static_cast<int>(rank) - 1};
      if (rank != 4) fail(op, "only 4-D padding is supported");
      for (int dim : order) {
        tp.push_back(p[static_cast<std::size_t>(2 * dim)]);
        tp.push_back(p[static_cast<std::size_t>(2 * dim + 1)]);
      }
      return void(assign(op, "torch.constant_pad_nd(" + in(op) + ", " + list(tp) + ", 0.0)"));
    }
    if (t == "strided_slice") {
      const IV b = op->get_attr<IV>("begin"), e = op->get_attr<IV>("end"), s = op->get_attr<IV>("strides");
      if (rank != 4) fail(op, "only 4-D slices are supported");
      std::string idx;
      if (b[0] != 0 || s[0] != 1) fail(op, "slicing the batch dimension is not supported");
      idx = ":";  // the batch: whatever size the module is called with
      for (int nchw : {3, 1, 2}) {  // NCHW dims 1..3 are NHWC dims 3, 1, 2
        idx += ", " + std::to_string(b[nchw]) + ":" + std::to_string(e[nchw]) + ":" + std::to_string(s[nchw]);
      }
      return void(assign(op, in(op) + "[" + idx + "]"));
    }
    if (t == "transpose") {  // torch holds a rank-4 XIR (NHWC) value as NCHW, other ranks as they are
      const IV order = op->get_attr<IV>("order");
      const std::size_t in_rank = op->get_input_tensor("input")->get_shape().size();
      std::string x = in(op);
      if (in_rank == 4) x += ".permute(0, 2, 3, 1)";
      x += ".permute(" + list(std::vector<std::int64_t>(order.begin(), order.end())) + ")";
      if (rank == 4) x += ".permute(0, 3, 1, 2)";
      return void(assign(op, x + ".contiguous()"));
    }
    if (t == "resize") {
      const std::string mode = op->get_attr<std::string>("mode");
      const bool align = op->get_attr_or<bool>("align_corners", false), half = op->get_attr_or<bool>("half_pixel_centers", false);
      const IV& out = op->get_output_tensor()->get_shape();
      const std::string size = list({out[1], out[2]});
      if (mode == "NEAREST" && !align && !half)
        return void(assign(op, "torch.upsample_nearest2d(" + in(op) + ", " + size + ")"));
      if (mode == "BILINEAR" && (align || half))
        return void(assign(op, "torch.upsample_bilinear2d(" + in(op) + ", " + size + ", " + (align ? "True" : "False") + ")"));
      fail(op, "torch has no resize with mode " + mode + (align ? ", align_corners" : "") + (half ? ", half_pixel_centers" : ""));
    }
    if (t == "softmax")
      return void(assign(op, "torch.softmax(" + in(op) + ", " + std::to_string(nchw_axis(op->get_attr_or<std::int32_t>("axis", -1), rank)) + ")"));
    fail(op, "no TorchScript form for this op type");
  }

  const xir::Graph& g_;
  torch::jit::Module m_;
  std::ostringstream code_;
  std::map<const xir::Op*, std::string> names_;
  std::map<const xir::Op*, at::Tensor> params_;
  int buffers_ = 0;
};

}  // namespace

bool torchscript_supported() { return true; }

bool export_torchscript(const xir::Graph& quantized, const std::string& path) {
  start_torch_threads();
  torch::jit::Module m = Writer(quantized).build();
  // Saved to a temporary name and renamed: the module appears whole or not at all.
  const std::string tmp = path + ".tmp";
  m.save(tmp);
  std::filesystem::rename(tmp, path);
  return true;
}

}  // namespace dputk
