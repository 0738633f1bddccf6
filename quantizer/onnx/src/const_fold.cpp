// Constant folding of the shape arithmetic PyTorch and TF exports write around reshapes, resizes and
// channel shuffles (Shape → Gather → Unsqueeze → Concat → Reshape, Cast, Slice, integer Mul/Div, ...).
// A node all of whose inputs are constants — or a Shape of any value, whose shape the converter knows —
// is computed here and its output becomes a constant; no XIR op is added for it.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "converter.hpp"

namespace dputk::onnx_import {

namespace {

using Node = onnx::NodeProto;
using I64 = std::vector<std::int64_t>;

I64 strides_of(const I64& dims) {
  I64 s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

// numpy-style broadcasting of two constants through `f`.
ConstTensor broadcast(Converter& c, const Node& n, const ConstTensor& a, const ConstTensor& b,
                      const std::function<double(double, double)>& f) {
  const std::size_t rank = std::max(a.dims.size(), b.dims.size());
  I64 da(rank, 1), db(rank, 1), out(rank, 1);
  std::copy(a.dims.begin(), a.dims.end(), da.begin() + (rank - a.dims.size()));
  std::copy(b.dims.begin(), b.dims.end(), db.begin() + (rank - b.dims.size()));
  for (std::size_t i = 0; i < rank; ++i) {
    if (da[i] != db[i] && da[i] != 1 && db[i] != 1) c.fail(n, "operand shapes do not broadcast");
    out[i] = std::max(da[i], db[i]);
  }
  ConstTensor r;
  r.dims = out;
  r.is_int = a.is_int && b.is_int;
  const I64 so = strides_of(out), sa = strides_of(da), sb = strides_of(db);
  std::int64_t total = 1;
  for (auto d : out) total *= d;
  r.values.resize(static_cast<std::size_t>(total));
  for (std::int64_t i = 0; i < total; ++i) {
    std::int64_t ia = 0, ib = 0, rem = i;
    for (std::size_t k = 0; k < rank; ++k) {
      const std::int64_t idx = rem / so[k];
      rem %= so[k];
      if (da[k] != 1) ia += idx * sa[k];
      if (db[k] != 1) ib += idx * sb[k];
    }
    r.values[static_cast<std::size_t>(i)] = f(a.values[static_cast<std::size_t>(ia)], b.values[static_cast<std::size_t>(ib)]);
  }
  return r;
}

ConstTensor scalar_like(const I64& dims, bool is_int) {
  ConstTensor t;
  t.dims = dims;
  t.is_int = is_int;
  return t;
}

// Gathers along `axis` with the given indices (negative ones count from the end).
ConstTensor gather(Converter& c, const Node& n, const ConstTensor& data, const ConstTensor& idx, std::int64_t axis) {
  axis = node_axis(c, n, axis, data.dims.size());
  const I64 ind = idx.ints();
  I64 out_dims(data.dims.begin(), data.dims.begin() + axis);
  out_dims.insert(out_dims.end(), idx.dims.begin(), idx.dims.end());
  out_dims.insert(out_dims.end(), data.dims.begin() + axis + 1, data.dims.end());
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t i = 0; i < axis; ++i) outer *= data.dims[i];
  for (std::size_t i = axis + 1; i < data.dims.size(); ++i) inner *= data.dims[i];
  const std::int64_t len = data.dims[axis];
  ConstTensor r = scalar_like(out_dims, data.is_int);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t k : ind) {
      if (k < 0) k += len;
      if (k < 0 || k >= len) c.fail(n, "index out of range");
      for (std::int64_t i = 0; i < inner; ++i) r.values.push_back(data.values[static_cast<std::size_t>((o * len + k) * inner + i)]);
    }
  return r;
}

ConstTensor slice(Converter& c, const Node& n, const ConstTensor& data, const I64& starts, const I64& ends, I64 axes, I64 steps) {
  const std::size_t rank = data.dims.size();
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    c.fail(n, "starts, ends, axes and steps differ in length");
  I64 b(rank, 0), st(rank, 1), cnt(data.dims);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::int64_t ax = node_axis(c, n, axes[i], rank), dim = data.dims[ax], step = steps[i];
    if (step == 0) c.fail(n, "slice step 0");
    // ONNX: negative positions count from the end; then start and end are clamped to the axis
    // ([0, dim] for a positive step, [-1, dim - 1] for a negative one).
    auto clampi = [&](std::int64_t v) {
      if (v < 0) v = v <= -dim ? (step > 0 ? 0 : -1) : v + dim;
      return step > 0 ? std::min(v, dim) : std::min(v, dim - 1);
    };
    const std::int64_t s = clampi(starts[i]), e = clampi(ends[i]);
    b[ax] = s;
    st[ax] = step;
    cnt[ax] = step > 0 ? std::max<std::int64_t>(0, (e - s + step - 1) / step) : std::max<std::int64_t>(0, (s - e - step - 1) / -step);
  }
  ConstTensor r = scalar_like(cnt, data.is_int);
  const I64 sd = strides_of(data.dims), so = strides_of(cnt);
  std::int64_t total = 1;
  for (auto d : cnt) total *= d;
  for (std::int64_t i = 0; i < total; ++i) {
    std::int64_t src = 0, rem = i;
    for (std::size_t k = 0; k < rank; ++k) {
      const std::int64_t idx = rem / so[k];
      rem %= so[k];
      src += (b[k] + idx * st[k]) * sd[k];
    }
    r.values.push_back(data.values[static_cast<std::size_t>(src)]);
  }
  return r;
}

ConstTensor fold(Converter& c, const Node& n) {
  const std::string& t = n.op_type();
  auto in = [&](int i) -> const ConstTensor& { return c.get_const(n, i); };
  if (t == "Shape") {
    I64 dims;
    if (c.is_const(n.input(0))) dims = in(0).dims;
    else dims = c.input(n, 0).onnx_shape();
    const auto rank = static_cast<std::int64_t>(dims.size());
    std::int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<std::int64_t>(start, 0, rank);
    end = std::clamp<std::int64_t>(end, start, rank);
    ConstTensor r = scalar_like({end - start}, true);
    for (std::int64_t i = start; i < end; ++i) r.values.push_back(static_cast<double>(dims[i]));
    return r;
  }
  if (t == "Identity") return in(0);
  if (t == "Gather") return gather(c, n, in(0), in(1), attr_int(n, "axis", 0));
  if (t == "Unsqueeze") {
    ConstTensor r = in(0);
    I64 axes = axes_of(c, n, 1);
    const std::size_t out_rank = r.dims.size() + axes.size();
    for (auto& a : axes) a = node_axis(c, n, a, out_rank);
    std::sort(axes.begin(), axes.end());
    for (auto a : axes) r.dims.insert(r.dims.begin() + a, 1);
    return r;
  }
  if (t == "Squeeze") {
    ConstTensor r = in(0);
    I64 axes = axes_of(c, n, 1);
    I64 dims;
    for (std::size_t i = 0; i < r.dims.size(); ++i) {
      const bool listed = std::any_of(axes.begin(), axes.end(), [&](std::int64_t a) {
        return node_axis(c, n, a, r.dims.size()) == static_cast<std::int64_t>(i);
      });
      if ((axes.empty() && r.dims[i] == 1) || listed) {
        if (r.dims[i] != 1) c.fail(n, "squeezes an axis whose size is not 1");
        continue;
      }
      dims.push_back(r.dims[i]);
    }
    r.dims = dims;
    return r;
  }
  if (t == "Concat") {
    const ConstTensor& first = in(0);
    const std::int64_t axis = node_axis(c, n, attr_int(n, "axis", 0), first.dims.size());
    std::int64_t outer = 1;
    for (std::int64_t i = 0; i < axis; ++i) outer *= first.dims[i];
    ConstTensor r = scalar_like(first.dims, first.is_int);
    r.dims[axis] = 0;
    for (int k = 0; k < n.input_size(); ++k) {
      const ConstTensor& x = in(k);
      if (x.dims.size() != first.dims.size()) c.fail(n, "inputs differ in rank");
      r.dims[axis] += x.dims[axis];
      r.is_int = r.is_int && x.is_int;
    }
    for (std::int64_t o = 0; o < outer; ++o)
      for (int k = 0; k < n.input_size(); ++k) {
        const ConstTensor& x = in(k);
        const std::int64_t chunk = outer ? x.numel() / outer : 0;
        r.values.insert(r.values.end(), x.values.begin() + o * chunk, x.values.begin() + (o + 1) * chunk);
      }
    return r;
  }
  if (t == "Cast") {
    ConstTensor r = in(0);
    const auto to = attr_int(n, "to", onnx::TensorProto::FLOAT);
    using TP = onnx::TensorProto;
    r.is_int = !(to == TP::FLOAT || to == TP::DOUBLE || to == TP::FLOAT16 || to == TP::BFLOAT16);
    if (r.is_int)
      for (auto& v : r.values) v = to == TP::BOOL ? (v != 0) : std::trunc(v);
    return r;
  }
  if (t == "Slice") {
    if (n.input_size() == 1)  // opset < 10: attributes
      return slice(c, n, in(0), attr_ints(n, "starts", {}), attr_ints(n, "ends", {}), attr_ints(n, "axes", {}), {});
    return slice(c, n, in(0), in(1).ints(), in(2).ints(), c.has_input(n, 3) ? in(3).ints() : I64{},
                 c.has_input(n, 4) ? in(4).ints() : I64{});
  }
  if (t == "Reshape") {
    ConstTensor r = in(0);
    r.dims = reshape_target(r.dims, in(1).ints(), attr_int(n, "allowzero", 0) != 0);
    if (r.numel() != static_cast<std::int64_t>(r.values.size())) c.fail(n, "reshape changes the element count");
    return r;
  }
  if (t == "ConstantOfShape") {
    ConstTensor r;
    r.dims = in(0).ints();
    double v = 0;
    if (const onnx::TensorProto* value = attr_tensor(n, "value")) {
      ConstTensor vt = read_tensor(*value, "ConstantOfShape value");
      if (vt.values.size() != 1) c.fail(n, "value must hold one element");
      v = vt.values[0];
      r.is_int = vt.is_int;
    }
    r.values.assign(static_cast<std::size_t>(r.numel()), v);
    return r;
  }
  if (t == "Range") {
    const double start = in(0).values.at(0), limit = in(1).values.at(0), delta = in(2).values.at(0);
    if (delta == 0) c.fail(n, "delta 0");
    ConstTensor r;
    r.is_int = in(0).is_int;
    const auto count = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil((limit - start) / delta)));
    for (std::int64_t i = 0; i < count; ++i) r.values.push_back(start + static_cast<double>(i) * delta);
    r.dims = {count};
    return r;
  }
  if (t == "Where") {
    ConstTensor ab = broadcast(c, n, in(1), in(2), [](double a, double) { return a; });
    ConstTensor ba = broadcast(c, n, in(1), in(2), [](double, double b) { return b; });
    ConstTensor cond = broadcast(c, n, in(0), ab, [](double k, double) { return k; });
    ConstTensor r = broadcast(c, n, ab, cond, [](double a, double) { return a; });
    const ConstTensor b2 = broadcast(c, n, ba, cond, [](double b, double) { return b; });
    for (std::size_t i = 0; i < r.values.size(); ++i) r.values[i] = cond.values[i] != 0 ? r.values[i] : b2.values[i];
    r.is_int = in(1).is_int && in(2).is_int;
    return r;
  }
  static const std::map<std::string, std::function<double(double)>> unary = {
      {"Floor", [](double x) { return std::floor(x); }}, {"Ceil", [](double x) { return std::ceil(x); }},
      {"Neg", [](double x) { return -x; }},              {"Sqrt", [](double x) { return std::sqrt(x); }},
      {"Abs", [](double x) { return std::fabs(x); }},    {"Not", [](double x) { return x == 0 ? 1.0 : 0.0; }},
  };
  if (auto it = unary.find(t); it != unary.end()) {
    ConstTensor r = in(0);
    for (auto& v : r.values) v = it->second(v);
    return r;
  }
  const bool ints = in(0).is_int && (n.input_size() < 2 || in(1).is_int);
  static const std::map<std::string, std::function<double(double, double)>> binary = {
      {"Add", [](double a, double b) { return a + b; }},
      {"Sub", [](double a, double b) { return a - b; }},
      {"Mul", [](double a, double b) { return a * b; }},
      {"Equal", [](double a, double b) { return a == b ? 1.0 : 0.0; }},
      {"Less", [](double a, double b) { return a < b ? 1.0 : 0.0; }},
      {"Greater", [](double a, double b) { return a > b ? 1.0 : 0.0; }},
      {"Max", [](double a, double b) { return std::max(a, b); }},
      {"Min", [](double a, double b) { return std::min(a, b); }},
  };
  if (t == "Div") {
    return broadcast(c, n, in(0), in(1), [&](double a, double b) {
      if (ints) {
        if (b == 0) c.fail(n, "integer division by zero");
        return std::trunc(a / b);  // C-style, as ONNX Runtime divides integers
      }
      return a / b;
    });
  }
  auto it = binary.find(t);
  if (it == binary.end()) c.fail(n, "cannot be folded");
  ConstTensor r = broadcast(c, n, in(0), in(1), it->second);
  if (t == "Equal" || t == "Less" || t == "Greater") r.is_int = true;
  return r;
}

bool foldable_type(const std::string& t) {
  static const char* kTypes[] = {"Shape", "Identity", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice",
                                 "Reshape", "ConstantOfShape", "Range", "Where", "Floor", "Ceil", "Neg", "Sqrt", "Abs",
                                 "Not", "Add", "Sub", "Mul", "Div", "Equal", "Less", "Greater", "Max", "Min"};
  return std::any_of(std::begin(kTypes), std::end(kTypes), [&](const char* k) { return t == k; });
}

}  // namespace

bool fold_constant_node(Converter& c, const onnx::NodeProto& node) {
  if (!foldable_type(node.op_type()) || node.output_size() != 1 || node.input_size() == 0) return false;
  if (!(node.domain().empty() || node.domain() == "ai.onnx")) return false;
  if (node.op_type() == "Shape") {
    if (!c.has_input(node, 0)) return false;
  } else {
    for (int i = 0; i < node.input_size(); ++i)
      if (!node.input(i).empty() && !c.is_const(node.input(i))) return false;
  }
  c.set_const(node.output(0), fold(c, node));
  return true;
}

}  // namespace dputk::onnx_import
