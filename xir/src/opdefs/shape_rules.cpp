#include "shape_rules.hpp"

#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "xir/graph/graph.hpp"

namespace xir::shape_rules {

using Shape = std::vector<std::int32_t>;

namespace {

[[noreturn]] void fail(const Op* op, const std::string& why) {
  throw std::invalid_argument("shape inference for op '" + op->get_name() + "' (" + op->get_type() + "): " + why);
}

const Shape& input_shape(const Op* op, const std::string& arg = "input", int idx = 0) {
  const Tensor* t = op->get_input_tensor(arg, idx);
  if (!t) fail(op, "missing input '" + arg + "'");
  return t->get_shape();
}

// A computed dimension, checked: the arithmetic below runs in 64 bits and a result outside the
// int32 range (a forged or absurd input) is an error, never an overflow.
std::int32_t dim(const Op* op, std::int64_t v) {
  if (v < 0 || v > std::numeric_limits<std::int32_t>::max()) fail(op, "computed dimension " + std::to_string(v) + " is out of range");
  return static_cast<std::int32_t>(v);
}

void set_shape(Op* op, const Shape& s) {
  if (checked_element_count(s) < 0) fail(op, "output shape has a negative dimension or more than 2^40 elements");
  op->get_output_tensor()->set_shape(s);
}

int norm_axis(const Op* op, int axis, std::size_t rank) {
  int r = static_cast<int>(rank);
  int a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r) fail(op, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return a;
}

// Output length of a sliding window along one dim.
std::int32_t window_out(const Op* op, std::int32_t in, std::int32_t k, std::int32_t s, std::int32_t d,
                        std::int32_t p0, std::int32_t p1, const std::string& mode) {
  if (s <= 0) fail(op, "stride must be positive");
  if (k <= 0 || d <= 0) fail(op, "kernel and dilation must be positive");
  const std::int64_t eff = std::int64_t{d} * (k - 1) + 1;
  if (mode == "SAME") return dim(op, (std::int64_t{in} + s - 1) / s);
  if (mode == "VALID") return dim(op, (in - eff) / s + 1);
  const std::int64_t span = std::int64_t{in} + p0 + p1 - eff;
  if (span < 0) fail(op, "window larger than padded input");
  if (mode == "CEIL") return dim(op, (span + s - 1) / s + 1);
  return dim(op, span / s + 1);  // FLOOR (the default, and what the fix ops use)
}

}  // namespace

void from_shape_attr(Op* op) { set_shape(op, op->get_attr<Shape>("shape")); }

void same_as_input(Op* op) { set_shape(op, input_shape(op)); }

void conv2d(Op* op) {
  const Shape& in = input_shape(op);
  const Shape& w = input_shape(op, "weights");
  if (in.size() != 4) fail(op, "input must be NHWC (rank 4)");
  if (w.size() != 4) fail(op, "weights must have rank 4");
  auto k = op->get_attr<Shape>("kernel");
  auto s = op->get_attr<Shape>("stride");
  auto d = op->get_attr_or<Shape>("dilation", {1, 1});
  auto p = op->get_attr_or<Shape>("pad", {0, 0, 0, 0});
  auto mode = op->get_attr_or<std::string>("pad_mode", "FLOOR");
  if (k.size() != 2 || s.size() != 2 || d.size() != 2 || p.size() != 4) fail(op, "kernel/stride/dilation/pad sizes");
  bool depthwise = op->get_type().find("depthwise") != std::string::npos;
  const std::int32_t oc = depthwise ? dim(op, std::int64_t{w[0]} * w[3]) : w[0];
  set_shape(op, {in[0], window_out(op, in[1], k[1], s[1], d[1], p[2], p[3], mode),
                 window_out(op, in[2], k[0], s[0], d[0], p[0], p[1], mode), oc});
}

void transposed_conv2d(Op* op) {
  const Shape& in = input_shape(op);
  const Shape& w = input_shape(op, "weights");
  auto k = op->get_attr<Shape>("kernel");
  auto s = op->get_attr<Shape>("stride");
  auto p = op->get_attr_or<Shape>("pad", {0, 0, 0, 0});
  bool depthwise = op->get_type().find("depthwise") != std::string::npos;
  if (in.size() != 4 || w.size() != 4 || k.size() != 2 || s.size() != 2 || p.size() != 4) fail(op, "input/weights/kernel/stride/pad sizes");
  const std::int32_t oc = depthwise ? dim(op, std::int64_t{w[0]} * w[3]) : w[0];
  set_shape(op, {in[0], dim(op, (std::int64_t{in[1]} - 1) * s[1] + k[1] - p[2] - p[3]),
                 dim(op, (std::int64_t{in[2]} - 1) * s[0] + k[0] - p[0] - p[1]), oc});
}

void pool2d(Op* op) {
  const Shape& in = input_shape(op);
  if (in.size() != 4) fail(op, "input must be NHWC (rank 4)");
  if (op->get_attr_or<bool>("global", false)) {
    set_shape(op, {in[0], 1, 1, in[3]});
    return;
  }
  auto k = op->get_attr<Shape>("kernel");
  auto s = op->get_attr<Shape>("stride");
  auto p = op->get_attr_or<Shape>("pad", {0, 0, 0, 0});
  auto mode = op->get_attr_or<std::string>("pad_mode", "FLOOR");
  if (k.size() != 2 || s.size() != 2 || p.size() != 4) fail(op, "kernel/stride/pad sizes");
  set_shape(op, {in[0], window_out(op, in[1], k[1], s[1], 1, p[2], p[3], mode),
                 window_out(op, in[2], k[0], s[0], 1, p[0], p[1], mode), in[3]});
}

void broadcast(Op* op) {
  Shape out;
  for (const Tensor* t : op->get_input_tensors("input")) {
    const Shape& s = t->get_shape();
    Shape merged(std::max(out.size(), s.size()), 1);
    for (std::size_t i = 0; i < merged.size(); ++i) {
      std::int32_t a = i < out.size() ? out[out.size() - 1 - i] : 1;
      std::int32_t b = i < s.size() ? s[s.size() - 1 - i] : 1;
      if (a != b && a != 1 && b != 1) fail(op, "input shapes do not broadcast");
      merged[merged.size() - 1 - i] = a == 1 ? b : a;
    }
    out = merged;
  }
  set_shape(op, out);
}

namespace {
// Reads an int shape from a const op or a stack of scalar const ops (vai_q's reshape pattern).
bool shape_from_op(const Op* src, Shape* out) {
  auto read_const = [](const Op* c, Shape* dst) {
    if (c->get_type() != "const" && c->get_type() != "const-fix") return false;
    auto data = c->get_attr<std::vector<char>>("data");
    DataType dt(c->get_attr<std::string>("data_type"));
    std::size_t n = static_cast<std::size_t>(c->get_output_tensor()->get_element_num());
    for (std::size_t i = 0; i < n; ++i) {
      if (dt.type == DataType::FLOAT && dt.bit_width == 32 && data.size() >= 4 * (i + 1)) {
        float v;
        std::memcpy(&v, data.data() + 4 * i, 4);
        dst->push_back(static_cast<std::int32_t>(v));
      } else if (dt.type == DataType::INT && dt.bit_width == 32 && data.size() >= 4 * (i + 1)) {
        std::int32_t v;
        std::memcpy(&v, data.data() + 4 * i, 4);
        dst->push_back(v);
      } else if (dt.type == DataType::INT && dt.bit_width == 64 && data.size() >= 8 * (i + 1)) {
        std::int64_t v;
        std::memcpy(&v, data.data() + 8 * i, 8);
        dst->push_back(static_cast<std::int32_t>(v));
      } else {
        return false;
      }
    }
    return true;
  };
  if (src->get_type() == "stack") {
    for (const Op* c : src->get_input_ops("input"))
      if (!read_const(c, out)) return false;
    return true;
  }
  return read_const(src, out);
}
}  // namespace

void reshape(Op* op) {
  const Shape& in = input_shape(op);
  Shape target;
  if (const Op* s = op->get_input_op("shape")) {
    if (!shape_from_op(s, &target)) fail(op, "its 'shape' input is not a constant");
  } else {
    target = op->get_attr<Shape>("shape");
  }
  std::int64_t total = 1;
  for (auto d : in) total *= d;
  std::int64_t known = 1;
  if (target.size() > 8) fail(op, "target shape of rank " + std::to_string(target.size()));
  int infer_at = -1;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && i < in.size()) target[i] = in[i];
    if (target[i] == -1) {
      if (infer_at >= 0) fail(op, "more than one -1 in the target shape");
      infer_at = static_cast<int>(i);
    } else {
      if (target[i] < 0 || (target[i] && known > kMaxTensorElements / target[i])) fail(op, "target shape out of range");
      known *= target[i];
    }
  }
  if (infer_at >= 0) {
    if (known == 0 || total % known) fail(op, "cannot infer the -1 dimension");
    target[infer_at] = dim(op, total / known);
  } else if (known != total) {
    fail(op, "element count changes");
  }
  set_shape(op, target);
}

void flatten(Op* op) {
  const Shape& in = input_shape(op);
  int start = norm_axis(op, op->get_attr<std::int32_t>("start_axis"), in.size());
  int end = norm_axis(op, op->get_attr<std::int32_t>("end_axis"), in.size());
  Shape out(in.begin(), in.begin() + start);
  std::int64_t m = 1;
  for (int i = start; i <= end; ++i) m *= in[i];  // ≤ the input's element count (≤ kMaxTensorElements)
  out.push_back(dim(op, m));
  out.insert(out.end(), in.begin() + end + 1, in.end());
  set_shape(op, out);
}

void matmul(Op* op) {
  auto ins = op->get_input_tensors("input");
  if (ins.size() != 2) fail(op, "needs exactly two inputs");
  Shape a = ins[0]->get_shape(), b = ins[1]->get_shape();
  if (a.size() < 2 || b.size() < 2) fail(op, "inputs must have rank >= 2");
  if (op->get_attr<bool>("transpose_a")) std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (op->get_attr<bool>("transpose_b")) std::swap(b[b.size() - 1], b[b.size() - 2]);
  if (a.back() != b[b.size() - 2]) fail(op, "inner dimensions differ");
  Shape out = a.size() >= b.size() ? a : b;
  out[out.size() - 2] = a[a.size() - 2];
  out[out.size() - 1] = b.back();
  set_shape(op, out);
}

void inner_product(Op* op) {
  const Shape& in = input_shape(op);
  const Shape& w = input_shape(op, "weights");
  int axis = norm_axis(op, op->get_attr<std::int32_t>("axis"), in.size());
  Shape out(in.begin(), in.begin() + axis);
  out.push_back(w[0]);
  set_shape(op, out);
}

void concat(Op* op) {
  auto ins = op->get_input_tensors("input");
  Shape out = ins.at(0)->get_shape();
  int axis = norm_axis(op, op->get_attr<std::int32_t>("axis"), out.size());
  for (std::size_t i = 1; i < ins.size(); ++i) {
    const Shape& s = ins[i]->get_shape();
    if (s.size() != out.size()) fail(op, "inputs have different ranks");
    for (std::size_t d = 0; d < s.size(); ++d)
      if (static_cast<int>(d) != axis && s[d] != out[d]) fail(op, "inputs differ outside the concat axis");
    out[axis] = dim(op, std::int64_t{out[axis]} + s[axis]);
  }
  set_shape(op, out);
}

void stack(Op* op) {
  auto ins = op->get_input_tensors("input");
  Shape in = ins.at(0)->get_shape();
  int axis = op->get_attr<std::int32_t>("axis");
  if (axis < 0) axis += static_cast<int>(in.size()) + 1;
  in.insert(in.begin() + axis, static_cast<std::int32_t>(ins.size()));
  set_shape(op, in);
}

void pad(Op* op) {
  Shape out = input_shape(op);
  auto p = op->get_attr<Shape>("paddings");
  if (p.size() != 2 * out.size()) fail(op, "paddings must hold two values per dimension");
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = dim(op, std::int64_t{out[i]} + p[2 * i] + p[2 * i + 1]);
  set_shape(op, out);
}

void strided_slice(Op* op) {
  Shape out = input_shape(op);
  auto begin = op->get_attr<Shape>("begin");
  auto end = op->get_attr<Shape>("end");
  auto strides = op->get_attr<Shape>("strides");
  if (begin.size() > out.size() || end.size() != begin.size() || strides.size() != begin.size())
    fail(op, "begin/end/strides must have one value per leading dimension");
  for (std::size_t i = 0; i < begin.size(); ++i) {
    std::int32_t n = out[i], s = strides[i];
    if (s <= 0) fail(op, "only positive strides are supported");
    std::int64_t b = begin[i] < 0 ? std::int64_t{begin[i]} + n : begin[i];
    std::int64_t e = end[i] < 0 ? std::int64_t{end[i]} + n : end[i];
    b = std::clamp<std::int64_t>(b, 0, n);
    e = std::clamp<std::int64_t>(e, 0, n);
    out[i] = e > b ? dim(op, (e - b + s - 1) / s) : 0;
  }
  set_shape(op, out);
}

void resize(Op* op) {
  Shape out = input_shape(op);
  if (out.size() != 4) fail(op, "resizes 4-D NHWC feature maps only");
  std::vector<float> scale;
  if (op->has_attr("scale")) scale = op->get_attr<std::vector<float>>("scale");
  if (scale.size() != 2) fail(op, "needs the scale attribute {scale_w, scale_h}");
  if (!(scale[0] > 0) || !(scale[1] > 0)) fail(op, "scale must be > 0");
  out[2] = dim(op, static_cast<std::int64_t>(static_cast<float>(out[2]) * scale[0]));
  out[1] = dim(op, static_cast<std::int64_t>(static_cast<float>(out[1]) * scale[1]));
  set_shape(op, out);
}

void transpose(Op* op) {
  const Shape& in = input_shape(op);
  auto order = op->get_attr<Shape>("order");
  if (order.size() != in.size()) fail(op, "order must have one entry per dimension");
  Shape out;
  for (auto o : order) out.push_back(in.at(norm_axis(op, o, in.size())));
  set_shape(op, out);
}

void reduction(Op* op) {
  const Shape& in = input_shape(op);
  auto axes = op->get_attr<Shape>("axis");
  bool keep = op->get_attr<bool>("keep_dims");
  std::vector<bool> reduced(in.size(), false);
  for (auto a : axes) reduced[norm_axis(op, a, in.size())] = true;
  Shape out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!reduced[i]) out.push_back(in[i]);
    else if (keep) out.push_back(1);
  }
  set_shape(op, out);
}

}  // namespace xir::shape_rules
