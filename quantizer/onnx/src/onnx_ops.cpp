// One converter per ONNX op type. Each reads the node, checks what it supports, and adds XIR ops.
#include <algorithm>
#include <cmath>
#include <limits>

#include "converter.hpp"

namespace dputk::onnx_import {

namespace {

using IV = std::vector<std::int32_t>;
using Node = onnx::NodeProto;

std::unique_ptr<xir::Attrs> attrs() { return xir::Attrs::create(); }
const std::string& out_name(const Node& n) { return n.output(0); }

Value require_nhwc(Converter& c, const Node& n, int idx) {
  Value v = c.input(n, idx);
  if (!v.nhwc) c.fail(n, "expects a 4-D NCHW feature map as input " + std::to_string(idx));
  return v;
}

// Window geometry of Conv/pooling in ONNX terms, resolved to explicit pads.
struct Window {
  std::int64_t kh, kw, sh = 1, sw = 1, dh = 1, dw = 1;
  std::int64_t top = 0, left = 0, bottom = 0, right = 0;
};

Window read_window(Converter& c, const Node& n, const std::vector<std::int64_t>& in_nchw, std::int64_t kh, std::int64_t kw) {
  Window w{kh, kw};
  auto ks = attr_ints(n, "kernel_shape", {kh, kw});
  if (ks.size() != 2) c.fail(n, "only 2-D windows are supported");
  w.kh = ks[0];
  w.kw = ks[1];
  auto st = attr_ints(n, "strides", {1, 1});
  auto di = attr_ints(n, "dilations", {1, 1});
  auto pads = attr_ints(n, "pads", {0, 0, 0, 0});
  if (st.size() != 2 || di.size() != 2 || pads.size() != 4) c.fail(n, "strides/dilations/pads must be 2-D");
  w.sh = st[0]; w.sw = st[1]; w.dh = di[0]; w.dw = di[1];
  w.top = pads[0]; w.left = pads[1]; w.bottom = pads[2]; w.right = pads[3];
  std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    w.top = w.left = w.bottom = w.right = 0;
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    auto same = [&](std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d, std::int64_t* b, std::int64_t* e) {
      std::int64_t out = (in + s - 1) / s;
      std::int64_t total = std::max<std::int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
      *b = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      *e = total - *b;
    };
    same(in_nchw[2], w.kh, w.sh, w.dh, &w.top, &w.bottom);
    same(in_nchw[3], w.kw, w.sw, w.dw, &w.left, &w.right);
  } else if (auto_pad != "NOTSET") {
    c.fail(n, "auto_pad '" + auto_pad + "' is not supported");
  }
  return w;
}

void set_window_attrs(xir::Attrs& a, const Window& w, bool with_dilation) {
  a.set_attr<IV>("kernel", {static_cast<int>(w.kw), static_cast<int>(w.kh)});
  a.set_attr<IV>("stride", {static_cast<int>(w.sw), static_cast<int>(w.sh)});
  if (with_dilation) a.set_attr<IV>("dilation", {static_cast<int>(w.dw), static_cast<int>(w.dh)});
  a.set_attr<IV>("pad", {static_cast<int>(w.left), static_cast<int>(w.right), static_cast<int>(w.top), static_cast<int>(w.bottom)});
}

void conv(Converter& c, const Node& n) {
  Value x = require_nhwc(c, n, 0);
  auto in = x.onnx_shape();
  const ConstTensor& W = c.get_const(n, 1);
  if (W.dims.size() != 4) c.fail(n, "only 2-D convolutions are supported");
  const std::int64_t oc = W.dims[0], icg = W.dims[1], kh = W.dims[2], kw = W.dims[3];
  const std::int64_t group = attr_int(n, "group", 1), ic = in[1];
  if (icg * group != ic) c.fail(n, "weights expect " + std::to_string(icg * group) + " input channels, input has " + std::to_string(ic));
  Window w = read_window(c, n, in, kh, kw);
  const bool depthwise = group > 1 && group == ic && icg == 1 && oc % ic == 0;
  std::vector<float> wx(W.values.size());
  IV wshape;
  if (depthwise) {
    // ONNX [C*mult, 1, KH, KW] → XIR [mult, KH, KW, C]
    const std::int64_t mult = oc / ic;
    wshape = {static_cast<int>(mult), static_cast<int>(kh), static_cast<int>(kw), static_cast<int>(ic)};
    for (std::int64_t ch = 0; ch < ic; ++ch)
      for (std::int64_t m = 0; m < mult; ++m)
        for (std::int64_t y = 0; y < kh; ++y)
          for (std::int64_t xx = 0; xx < kw; ++xx)
            wx[((m * kh + y) * kw + xx) * ic + ch] = static_cast<float>(W.values[((ch * mult + m) * kh + y) * kw + xx]);
  } else {
    // ONNX OIHW → XIR OHWI
    wshape = {static_cast<int>(oc), static_cast<int>(kh), static_cast<int>(kw), static_cast<int>(icg)};
    for (std::int64_t o = 0; o < oc; ++o)
      for (std::int64_t i = 0; i < icg; ++i)
        for (std::int64_t y = 0; y < kh; ++y)
          for (std::int64_t xx = 0; xx < kw; ++xx)
            wx[((o * kh + y) * kw + xx) * icg + i] = static_cast<float>(W.values[((o * icg + i) * kh + y) * kw + xx]);
  }
  std::map<std::string, std::vector<xir::Op*>> inputs{{"input", {x.op}}};
  inputs["weights"] = {c.add_const(out_name(n) + "_weights", wshape, wx)};
  bool has_bias = c.has_input(n, 2);
  if (has_bias) {
    const ConstTensor& B = c.get_const(n, 2);
    if (B.numel() != oc) c.fail(n, "bias has " + std::to_string(B.numel()) + " values for " + std::to_string(oc) + " channels");
    inputs["bias"] = {c.add_const(out_name(n) + "_bias", {static_cast<int>(oc)}, {B.values.begin(), B.values.end()})};
  }
  auto a = attrs();
  set_window_attrs(*a, w, true);
  a->set_attr<std::string>("pad_mode", "FLOOR");
  if (!depthwise) a->set_attr<std::int32_t>("group", static_cast<int>(group));
  a->set_attr<bool>("bias_term", has_bias);
  a->set_attr<std::int32_t>("in_dim", static_cast<int>(ic));
  a->set_attr<std::int32_t>("out_dim", static_cast<int>(oc));
  c.set_value(out_name(n), {c.add(out_name(n), depthwise ? "depthwise-conv2d" : "conv2d", std::move(a), inputs), true});
}

// ConvTranspose (group 1): ONNX weights [C_in, C_out, KH, KW] → XIR OHWI [C_out, KH, KW, C_in], flipped in
// height and width (XIR defines transposed-conv2d as a convolution of the stride-dilated input with its
// filter, so it stores the kernel flipped, as Vitis AI's converters write it); ONNX's
// output = stride·(in − 1) + output_padding + (k − 1)·dilation + 1 − pads, XIR's has no output_padding:
// it becomes less padding at the end.
void conv_transpose(Converter& c, const Node& n) {
  Value x = require_nhwc(c, n, 0);
  auto in = x.onnx_shape();
  const ConstTensor& W = c.get_const(n, 1);
  if (W.dims.size() != 4) c.fail(n, "only 2-D transposed convolutions are supported");
  if (attr_int(n, "group", 1) != 1) c.fail(n, "grouped transposed convolutions are not supported");
  if (!attr_ints(n, "output_shape", {}).empty()) c.fail(n, "output_shape is not supported (give pads and output_padding)");
  const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID") c.fail(n, "auto_pad '" + auto_pad + "' is not supported");
  const std::int64_t ic = W.dims[0], oc = W.dims[1], kh = W.dims[2], kw = W.dims[3];
  if (ic != in[1]) c.fail(n, "weights expect " + std::to_string(ic) + " input channels, input has " + std::to_string(in[1]));
  const auto st = attr_ints(n, "strides", {1, 1}), di = attr_ints(n, "dilations", {1, 1});
  auto pads = attr_ints(n, "pads", {0, 0, 0, 0});
  const auto op = attr_ints(n, "output_padding", {0, 0});
  if (st.size() != 2 || di.size() != 2 || pads.size() != 4 || op.size() != 2) c.fail(n, "strides/dilations/pads/output_padding must be 2-D");
  if (auto_pad == "VALID") pads = {0, 0, 0, 0};
  if (di[0] != 1 || di[1] != 1) c.fail(n, "dilated transposed convolutions are not supported");
  std::vector<float> wx(W.values.size());
  for (std::int64_t i = 0; i < ic; ++i)
    for (std::int64_t o = 0; o < oc; ++o)
      for (std::int64_t y = 0; y < kh; ++y)
        for (std::int64_t xx = 0; xx < kw; ++xx)
          wx[((o * kh + (kh - 1 - y)) * kw + (kw - 1 - xx)) * ic + i] = static_cast<float>(W.values[((i * oc + o) * kh + y) * kw + xx]);
  std::map<std::string, std::vector<xir::Op*>> inputs{{"input", {x.op}}};
  inputs["weights"] = {c.add_const(out_name(n) + "_weights", {static_cast<int>(oc), static_cast<int>(kh), static_cast<int>(kw), static_cast<int>(ic)}, wx)};
  const bool has_bias = c.has_input(n, 2);
  if (has_bias) {
    const ConstTensor& B = c.get_const(n, 2);
    if (B.numel() != oc) c.fail(n, "bias has " + std::to_string(B.numel()) + " values for " + std::to_string(oc) + " channels");
    inputs["bias"] = {c.add_const(out_name(n) + "_bias", {static_cast<int>(oc)}, {B.values.begin(), B.values.end()})};
  }
  auto a = attrs();
  a->set_attr<IV>("kernel", {static_cast<int>(kw), static_cast<int>(kh)});
  a->set_attr<IV>("stride", {static_cast<int>(st[1]), static_cast<int>(st[0])});
  a->set_attr<IV>("dilation", {1, 1});
  a->set_attr<IV>("pad", {static_cast<int>(pads[1]), static_cast<int>(pads[3] - op[1]), static_cast<int>(pads[0]), static_cast<int>(pads[2] - op[0])});
  a->set_attr<std::string>("pad_mode", "FLOOR");
  a->set_attr<bool>("bias_term", has_bias);
  c.set_value(out_name(n), {c.add(out_name(n), "transposed-conv2d", std::move(a), inputs), true});
}

void pool(Converter& c, const Node& n, bool avg, bool global) {
  Value x = require_nhwc(c, n, 0);
  auto in = x.onnx_shape();
  auto a = attrs();
  if (global) {
    a->set_attr<IV>("kernel", {static_cast<int>(in[3]), static_cast<int>(in[2])});
    a->set_attr<IV>("stride", {static_cast<int>(in[3]), static_cast<int>(in[2])});
    a->set_attr<bool>("global", true);
  } else {
    if (!attr_ints(n, "kernel_shape", {}).size()) c.fail(n, "kernel_shape is required");
    Window w = read_window(c, n, in, 1, 1);
    if (w.dh != 1 || w.dw != 1) c.fail(n, "dilated pooling is not supported");
    set_window_attrs(*a, w, false);
  }
  a->set_attr<std::string>("pad_mode", attr_int(n, "ceil_mode", 0) ? "CEIL" : "FLOOR");
  if (avg) {
    bool include = global || attr_int(n, "count_include_pad", 0) != 0;
    a->set_attr<bool>("count_include_pad", include);
    a->set_attr<bool>("count_include_invalid", include);
  }
  c.set_value(out_name(n), {c.add(out_name(n), avg ? "avgpool2d" : "maxpool2d", std::move(a), {{"input", {x.op}}}), true});
}

// ReduceMean over the spatial axes of a feature map (PyTorch's x.mean((2, 3)), e.g. MNASNet): global
// average pooling, then [N, C] when keepdims = 0.
void reduce_mean(Converter& c, const Node& n) {
  Value x = c.input(n, 0);
  std::vector<std::int64_t> axes = axes_of(c, n, 1);  // opset 18: axes as an input
  const auto rank = static_cast<std::int64_t>(x.onnx_shape().size());
  for (auto& a : axes)
    if (a < 0) a += rank;
  std::sort(axes.begin(), axes.end());
  if (!x.nhwc || axes != std::vector<std::int64_t>{2, 3})
    c.fail(n, "only the mean over the spatial axes (2, 3) of a 4-D feature map is supported (it is global average pooling)");
  pool(c, n, true, true);
  if (attr_int(n, "keepdims", 1)) return;
  const Value pooled = *c.find_value(out_name(n));
  auto a = attrs();
  a->set_attr<std::int32_t>("start_axis", 1);
  a->set_attr<std::int32_t>("end_axis", -1);
  c.set_value(out_name(n), {c.add(out_name(n) + "_flat", "flatten", std::move(a), {{"input", {pooled.op}}}), false});
}

void unary(Converter& c, const Node& n, const std::string& type, std::unique_ptr<xir::Attrs> a = attrs()) {
  Value x = c.input(n, 0);
  c.set_value(out_name(n), {c.add(out_name(n), type, std::move(a), {{"input", {x.op}}}), x.nhwc});
}

double scalar_input_or(Converter& c, const Node& n, int idx, double dflt) {
  if (!c.has_input(n, idx)) return dflt;
  const ConstTensor& t = c.get_const(n, idx);
  if (t.numel() != 1) c.fail(n, "input " + std::to_string(idx) + " must be a scalar");
  return t.values[0];
}

void clip(Converter& c, const Node& n) {
  double lo = scalar_input_or(c, n, 1, attr_float(n, "min", -std::numeric_limits<float>::infinity()));
  double hi = scalar_input_or(c, n, 2, attr_float(n, "max", std::numeric_limits<float>::infinity()));
  if (lo == 0.0 && hi == 6.0) return unary(c, n, "relu6");
  if (lo == 0.0 && std::isinf(hi)) return unary(c, n, "relu");
  auto a = attrs();
  a->set_attr<float>("min", static_cast<float>(lo));
  a->set_attr<float>("max", static_cast<float>(hi));
  unary(c, n, "clamp", std::move(a));
}

// A constant operand of a broadcasting op, laid out to match a NHWC (or plain) partner.
xir::Op* const_operand(Converter& c, const Node& n, int idx, bool nhwc) {
  const ConstTensor& t = c.get_const(n, idx);
  std::vector<std::int64_t> d = t.dims;
  std::vector<float> v(t.values.begin(), t.values.end());
  if (nhwc) {
    if (d.size() > 4) c.fail(n, "constant operand has rank > 4");
    while (d.size() < 4) d.insert(d.begin(), 1);
    std::vector<float> out(v.size());
    for (std::int64_t a = 0; a < d[0]; ++a)
      for (std::int64_t ch = 0; ch < d[1]; ++ch)
        for (std::int64_t y = 0; y < d[2]; ++y)
          for (std::int64_t x = 0; x < d[3]; ++x)
            out[((a * d[2] + y) * d[3] + x) * d[1] + ch] = v[((a * d[1] + ch) * d[2] + y) * d[3] + x];
    v = out;
    d = {d[0], d[2], d[3], d[1]};
  }
  return c.add_const(out_name(n) + "_operand" + std::to_string(idx), IV(d.begin(), d.end()), v);
}

void binary(Converter& c, const Node& n, const std::string& type) {
  if (!c.has_input(n, 0) || !c.has_input(n, 1)) c.fail(n, "needs two inputs");
  bool c0 = c.is_const(n.input(0)) && !c.find_value(n.input(0));
  bool c1 = c.is_const(n.input(1)) && !c.find_value(n.input(1));
  if (c0 && c1) c.fail(n, "both operands are constants (fold them before export)");
  Value v = c.input(n, c0 ? 1 : 0);
  xir::Op* other;
  if (c0 || c1) {
    other = const_operand(c, n, c0 ? 0 : 1, v.nhwc);
  } else {
    Value w = c.input(n, 1);
    if (v.nhwc != w.nhwc) c.fail(n, "mixing a 4-D feature map with a lower-rank tensor is not supported");
    other = w.op;
  }
  std::vector<xir::Op*> ins = c0 ? std::vector<xir::Op*>{other, v.op} : std::vector<xir::Op*>{v.op, other};
  if (type == "sub" || type == "div") {
    // XIR sub/div are n-ary with the first input as the minuend/dividend: keep ONNX order.
  }
  c.set_value(out_name(n), {c.add(out_name(n), type, attrs(), {{"input", ins}}), v.nhwc});
}

void gemm(Converter& c, const Node& n) {
  Value x = c.input(n, 0);
  if (x.nhwc) c.fail(n, "input must be 2-D (insert Flatten)");
  if (attr_int(n, "transA", 0)) c.fail(n, "transA=1 is not supported");
  const bool trans_b = attr_int(n, "transB", 0) != 0;
  const float alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
  const ConstTensor& B = c.get_const(n, 1);
  if (B.dims.size() != 2) c.fail(n, "B must be 2-D");
  std::vector<float> w;
  for (double v : B.values) w.push_back(static_cast<float>(v * alpha));
  std::map<std::string, std::vector<xir::Op*>> inputs;
  inputs["input"] = {x.op, c.add_const(out_name(n) + "_weights", {static_cast<int>(B.dims[0]), static_cast<int>(B.dims[1])}, w)};
  const std::int64_t out_features = trans_b ? B.dims[0] : B.dims[1];
  if (c.has_input(n, 2)) {
    const ConstTensor& C = c.get_const(n, 2);
    if (C.numel() != out_features) c.fail(n, "only a per-output bias C is supported");
    std::vector<float> b;
    for (double v : C.values) b.push_back(static_cast<float>(v * beta));
    inputs["bias"] = {c.add_const(out_name(n) + "_bias", {static_cast<int>(out_features)}, b)};
  }
  auto a = attrs();
  a->set_attr<bool>("transpose_a", false);
  a->set_attr<bool>("transpose_b", trans_b);
  c.set_value(out_name(n), {c.add(out_name(n), "matmul", std::move(a), inputs), false});
}

void matmul(Converter& c, const Node& n) {
  Value x = c.input(n, 0);
  if (x.nhwc) c.fail(n, "4-D matmul is not supported");
  xir::Op* w;
  if (!c.has_input(n, 1)) c.fail(n, "needs two inputs");
  if (c.is_const(n.input(1)) && !c.find_value(n.input(1))) {
    const ConstTensor& B = c.get_const(n, 1);
    w = c.add_const(out_name(n) + "_weights", IV(B.dims.begin(), B.dims.end()), {B.values.begin(), B.values.end()});
  } else {
    w = c.input(n, 1).op;
  }
  auto a = attrs();
  a->set_attr<bool>("transpose_a", false);
  a->set_attr<bool>("transpose_b", false);
  c.set_value(out_name(n), {c.add(out_name(n), "matmul", std::move(a), {{"input", {x.op, w}}}), false});
}

bool spatial_is_1x1(const Value& v) {
  auto s = v.onnx_shape();
  return s.size() == 4 && s[2] == 1 && s[3] == 1;
}

void flatten(Converter& c, const Node& n) {
  Value x = c.input(n, 0);
  std::int64_t axis = attr_int(n, "axis", 1);
  auto shape = x.onnx_shape();
  if (axis < 0) axis += static_cast<std::int64_t>(shape.size());
  if (axis != 1) c.fail(n, "only axis=1 is supported");
  xir::Op* src = x.nhwc && !spatial_is_1x1(x) ? c.to_nchw(x, out_name(n)) : x.op;
  auto a = attrs();
  a->set_attr<std::int32_t>("start_axis", 1);
  a->set_attr<std::int32_t>("end_axis", -1);
  c.set_value(out_name(n), {c.add(out_name(n), "flatten", std::move(a), {{"input", {src}}}), false});
}

void reshape(Converter& c, const Node& n) {
  Value x = c.input(n, 0);
  auto in = x.onnx_shape();
  reshape_value(c, out_name(n), x, reshape_target(in, c.get_const(n, 1).ints(), attr_int(n, "allowzero", 0) != 0));
}

void concat(Converter& c, const Node& n) {
  std::vector<xir::Op*> ins;
  bool nhwc = false;
  for (int i = 0; i < n.input_size(); ++i) {
    Value v = c.input(n, i);
    if (i > 0 && v.nhwc != nhwc) c.fail(n, "inputs have different ranks");
    nhwc = v.nhwc;
    ins.push_back(v.op);
  }
  std::int64_t axis = attr_int(n, "axis", 1);
  std::int64_t rank = static_cast<std::int64_t>(ins[0]->get_output_tensor()->get_shape().size());
  if (axis < 0) axis += rank;
  auto a = attrs();
  a->set_attr<std::int32_t>("axis", nhwc ? nhwc_axis(static_cast<int>(axis)) : static_cast<int>(axis));
  c.set_value(out_name(n), {c.add(out_name(n), "concat", std::move(a), {{"input", ins}}), nhwc});
}

void slice(Converter& c, const Node& n) {
  Value x = c.input(n, 0);
  auto in = x.onnx_shape();
  std::vector<std::int64_t> starts, ends, axes, steps;
  auto ints = [&](int idx) {
    return c.get_const(n, idx).ints();
  };
  if (n.input_size() >= 3) {
    starts = ints(1);
    ends = ints(2);
    if (c.has_input(n, 3)) axes = ints(3);
    if (c.has_input(n, 4)) steps = ints(4);
  } else {
    starts = attr_ints(n, "starts", {});
    ends = attr_ints(n, "ends", {});
    axes = attr_ints(n, "axes", {});
  }
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    c.fail(n, "starts, ends, axes and steps must have the same length");
  const std::size_t rank = in.size();
  IV begin(rank, 0), end(rank), stride(rank, 1);
  const auto& xir_shape = x.op->get_output_tensor()->get_shape();
  for (std::size_t i = 0; i < rank; ++i) end[i] = xir_shape[i];
  for (std::size_t i = 0; i < axes.size(); ++i) {
    std::int64_t ax = axes[i] < 0 ? axes[i] + static_cast<std::int64_t>(rank) : axes[i];
    if (ax < 0 || ax >= static_cast<std::int64_t>(rank)) c.fail(n, "axis out of range");
    if (steps[i] <= 0) c.fail(n, "only positive steps are supported");
    std::int64_t dim = in[ax];
    auto clampi = [&](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + dim : v, 0, dim); };
    std::size_t xa = x.nhwc ? static_cast<std::size_t>(nhwc_axis(static_cast<int>(ax))) : static_cast<std::size_t>(ax);
    begin[xa] = static_cast<int>(clampi(starts[i]));
    end[xa] = static_cast<int>(clampi(ends[i]));
    stride[xa] = static_cast<int>(steps[i]);
  }
  auto a = attrs();
  a->set_attr<IV>("begin", begin);
  a->set_attr<IV>("end", end);
  a->set_attr<IV>("strides", stride);
  c.set_value(out_name(n), {c.add(out_name(n), "strided_slice", std::move(a), {{"input", {x.op}}}), x.nhwc});
}

void pad(Converter& c, const Node& n) {
  Value x = c.input(n, 0);
  std::string mode = attr_string(n, "mode", "constant");
  if (mode != "constant" && mode != "reflect") c.fail(n, "pad mode '" + mode + "' is not supported (constant, reflect)");
  std::vector<std::int64_t> pads;
  float value = attr_float(n, "value", 0.0f);
  if (c.has_input(n, 1)) {
    const ConstTensor& p = c.get_const(n, 1);
    pads = p.ints();
    value = static_cast<float>(scalar_input_or(c, n, 2, value));
  } else {
    pads = attr_ints(n, "pads", {});
  }
  const std::size_t rank = x.onnx_shape().size();
  if (pads.size() != 2 * rank) c.fail(n, "pads must hold 2 values per dimension");
  for (auto p : pads)
    if (p < 0) c.fail(n, "negative pads (cropping) are not supported");
  IV paddings(2 * rank);
  for (std::size_t i = 0; i < rank; ++i) {
    std::size_t xa = x.nhwc ? static_cast<std::size_t>(nhwc_axis(static_cast<int>(i))) : i;
    paddings[2 * xa] = static_cast<int>(pads[i]);
    paddings[2 * xa + 1] = static_cast<int>(pads[i + rank]);
  }
  auto a = attrs();
  a->set_attr<IV>("paddings", paddings);
  a->set_attr<std::string>("mode", mode == "constant" ? "CONSTANT" : "REFLECT");
  a->set_attr<std::vector<float>>("constant_values", {value});
  c.set_value(out_name(n), {c.add(out_name(n), "pad", std::move(a), {{"input", {x.op}}}), x.nhwc});
}

void batchnorm(Converter& c, const Node& n) {
  Value x = c.input(n, 0);
  std::map<std::string, std::vector<xir::Op*>> inputs{{"input", {x.op}}};
  const char* names[] = {"gamma", "beta", "moving_mean", "moving_var"};
  for (int i = 0; i < 4; ++i) {
    const ConstTensor& t = c.get_const(n, i + 1);
    inputs[names[i]] = {c.add_const(out_name(n) + "_" + names[i], {static_cast<int>(t.numel())}, {t.values.begin(), t.values.end()})};
  }
  auto a = attrs();
  a->set_attr<std::int32_t>("axis", x.nhwc ? 3 : 1);
  a->set_attr<float>("epsilon", attr_float(n, "epsilon", 1e-5f));
  c.set_value(out_name(n), {c.add(out_name(n), "batchnorm", std::move(a), inputs), x.nhwc});
}

void alias(Converter& c, const Node& n) {
  if (!c.has_input(n, 0)) c.fail(n, "input 0 is missing");
  if (const Value* v = c.find_value(n.input(0))) {
    c.set_value(out_name(n), *v);
  } else if (c.is_const(n.input(0))) {
    c.set_const(out_name(n), c.get_const(n, 0));
  } else {
    c.fail(n, "input '" + n.input(0) + "' is not defined");
  }
}

}  // namespace

void custom_op(Converter& c, const Node& n) {
  std::vector<xir::Op*> ins;
  Value first;
  for (int i = 0; i < n.input_size(); ++i) {
    if (!c.has_input(n, i)) continue;
    Value v = c.input(n, i);
    if (!first.op) first = v;
    ins.push_back(v.op);
  }
  if (!first.op) c.fail(n, "a custom op needs at least one input");
  auto a = attrs();
  a->set_attr<std::vector<std::int32_t>>("shape", first.op->get_output_tensor()->get_shape());
  a->set_attr<std::string>("data_type", "FLOAT32");
  for (const auto& at : n.attribute()) {
    if (at.type() == onnx::AttributeProto::INT) a->set_attr<std::int32_t>(at.name(), static_cast<std::int32_t>(at.i()));
    else if (at.type() == onnx::AttributeProto::FLOAT) a->set_attr<float>(at.name(), at.f());
    else if (at.type() == onnx::AttributeProto::STRING) a->set_attr<std::string>(at.name(), at.s());
  }
  c.set_value(out_name(n), {c.add(out_name(n), n.op_type(), std::move(a), {{"input", ins}}), first.nhwc});
}

void reshape_value(Converter& c, const std::string& name, const Value& x, const std::vector<std::int64_t>& target) {
  std::int64_t total = 1, count = 1;
  for (auto d : x.onnx_shape()) total *= d;
  for (auto d : target) count *= d;
  if (total != count) throw std::invalid_argument("the new shape holds " + std::to_string(count) + " elements, the input " + std::to_string(total));
  xir::Op* src = x.nhwc && !spatial_is_1x1(x) ? c.to_nchw(x, name) : x.op;
  bool out4 = target.size() == 4;
  bool out_1x1 = out4 && target[2] == 1 && target[3] == 1;
  IV shape(target.begin(), target.end());
  if (out_1x1) shape = {shape[0], 1, 1, shape[1]};
  auto a = attrs();
  a->set_attr<IV>("shape", shape);
  xir::Op* r = c.add(name + (out4 && !out_1x1 ? "_nchw" : ""), "reshape", std::move(a), {{"input", {src}}});
  if (out4 && !out_1x1) {
    auto t = attrs();
    t->set_attr<IV>("order", {0, 2, 3, 1});
    r = c.add(name, "transpose", std::move(t), {{"input", {r}}});
  }
  c.set_value(name, {r, out4});
}

const std::map<std::string, NodeConverter>& node_converters() {
  static const std::map<std::string, NodeConverter> table = {
      {"Conv", conv},
      {"ConvTranspose", conv_transpose},
      {"BatchNormalization", batchnorm},
      {"Relu", [](Converter& c, const Node& n) { unary(c, n, "relu"); }},
      {"Clip", clip},
      {"LeakyRelu", [](Converter& c, const Node& n) {
         auto a = attrs();
         a->set_attr<float>("alpha", attr_float(n, "alpha", 0.01f));
         unary(c, n, "leaky-relu", std::move(a));
       }},
      {"Sigmoid", [](Converter& c, const Node& n) { unary(c, n, "sigmoid"); }},
      {"Tanh", [](Converter& c, const Node& n) { unary(c, n, "tanh"); }},
      {"PRelu", [](Converter& c, const Node& n) {  // slope: a constant of one value or one per channel
         Value x = c.input(n, 0);
         const ConstTensor& slope = c.get_const(n, 1);
         const auto channels = x.onnx_shape().size() > 1 ? x.onnx_shape()[1] : 1;
         if (slope.numel() != 1 && slope.numel() != channels) c.fail(n, "the slope must hold one value or one per channel");
         xir::Op* w = c.add_const(out_name(n) + "_slope", {static_cast<std::int32_t>(slope.numel())},
                                  std::vector<float>(slope.values.begin(), slope.values.end()));
         c.set_value(out_name(n), {c.add(out_name(n), "prelu", attrs(), {{"input", {x.op}}, {"weight", {w}}}), x.nhwc});
       }},
      {"HardSigmoid", [](Converter& c, const Node& n) {
         const float alpha = attr_float(n, "alpha", 0.2f), beta = attr_float(n, "beta", 0.5f);
         if (std::abs(alpha - 1.0f / 6.0f) > 1e-6f || beta != 0.5f)
           c.fail(n, "alpha " + std::to_string(alpha) + ", beta " + std::to_string(beta) +
                         " has no XIR form: hard-sigmoid is relu6(x + 3) / 6 (alpha 1/6, beta 0.5, PyTorch's Hardsigmoid)");
         unary(c, n, "hard-sigmoid");
       }},
      {"HardSwish", [](Converter& c, const Node& n) {  // x · hard-sigmoid(x), as torch exports it before opset 14
         Value x = c.input(n, 0);
         xir::Op* h = c.add(out_name(n) + "_hsigmoid", "hard-sigmoid", attrs(), {{"input", {x.op}}});
         c.set_value(out_name(n), {c.add(out_name(n), "mul", attrs(), {{"input", {x.op, h}}}), x.nhwc});
       }},
      {"Softmax", [](Converter& c, const Node& n) {
         Value x = c.input(n, 0);
         std::int64_t axis = attr_int(n, "axis", -1);
         std::int64_t rank = static_cast<std::int64_t>(x.onnx_shape().size());
         if (axis < 0) axis += rank;
         auto a = attrs();
         a->set_attr<std::int32_t>("axis", x.nhwc ? nhwc_axis(static_cast<int>(axis)) : static_cast<int>(axis));
         unary(c, n, "softmax", std::move(a));
       }},
      {"MaxPool", [](Converter& c, const Node& n) { pool(c, n, false, false); }},
      {"AveragePool", [](Converter& c, const Node& n) { pool(c, n, true, false); }},
      {"GlobalAveragePool", [](Converter& c, const Node& n) { pool(c, n, true, true); }},
      {"GlobalMaxPool", [](Converter& c, const Node& n) { pool(c, n, false, true); }},
      {"ReduceMean", reduce_mean},
      {"Add", [](Converter& c, const Node& n) { binary(c, n, "add"); }},
      {"Sub", [](Converter& c, const Node& n) { binary(c, n, "sub"); }},
      {"Mul", [](Converter& c, const Node& n) { binary(c, n, "mul"); }},
      {"Div", [](Converter& c, const Node& n) { binary(c, n, "div"); }},
      {"Max", [](Converter& c, const Node& n) {
         if (n.input_size() != 2) c.fail(n, "only Max of two inputs is supported");
         binary(c, n, "max");
       }},
      {"Min", [](Converter& c, const Node& n) {
         if (n.input_size() != 2) c.fail(n, "only Min of two inputs is supported");
         binary(c, n, "min");
       }},
      {"Gemm", gemm},
      {"MatMul", matmul},
      {"Flatten", flatten},
      {"Reshape", reshape},
      {"Concat", concat},
      {"Slice", slice},
      {"Pad", pad},
      {"Identity", alias},
      {"Transpose", transpose},
      {"Squeeze", squeeze},
      {"Unsqueeze", unsqueeze},
      {"Split", split},
      {"Resize", resize},
      {"Upsample", resize},
      {"Dropout", alias},
      {"Constant", [](Converter& c, const Node& n) {
         const onnx::TensorProto* t = attr_tensor(n, "value");
         if (!t) c.fail(n, "only the 'value' form of Constant is supported");
         c.set_const(out_name(n), read_tensor(*t, "Constant '" + out_name(n) + "'"));
       }},
  };
  return table;
}

}  // namespace dputk::onnx_import
