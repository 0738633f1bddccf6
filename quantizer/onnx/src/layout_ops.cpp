// Layout converters: Transpose, Squeeze, Unsqueeze and Split of computed values (the same nodes on
// constants are folded by const_fold.cpp).
#include <algorithm>
#include <numeric>

#include "converter.hpp"

namespace dputk::onnx_import {

namespace {

using IV = std::vector<std::int32_t>;
using I64 = std::vector<std::int64_t>;

// Detection heads (torchvision SSD, RetinaNet, YOLO) write x.view(N, A, K, H, W).permute(0, 3, 4, 1, 2):
// on NHWC data that is no reordering at all, only a reshape of the feature map to [N, H, W, A, K].
// Returns that reshape when `x` (rank > 4) is such a view of a feature map and perm moves H, W forward.
xir::Op* nhwc_view(Converter& c, const std::string& name, const Value& x, const I64& perm) {
  const std::size_t r = perm.size();
  if (x.nhwc || r < 5 || x.op->get_type() != "reshape") return nullptr;
  xir::Op* map = x.op->get_input_op("input");
  if (!map) return nullptr;
  if (map->get_type() == "transpose" && map->get_attr<IV>("order") == IV{0, 3, 1, 2}) map = map->get_input_op("input");
  else if (map->get_output_tensor()->get_shape().size() != 4 || map->get_output_tensor()->get_shape()[1] != 1 ||
           map->get_output_tensor()->get_shape()[2] != 1)
    return nullptr;  // a 1×1 map needs no to-NCHW transpose before the view
  const IV& m = map->get_output_tensor()->get_shape();  // [N, H, W, C]
  const IV& v = x.op->get_output_tensor()->get_shape();  // [N, c1..ck, H, W]
  if (m.size() != 4 || v[0] != m[0] || v[r - 2] != m[1] || v[r - 1] != m[2]) return nullptr;
  I64 want{0, static_cast<std::int64_t>(r - 2), static_cast<std::int64_t>(r - 1)};
  for (std::size_t i = 1; i + 2 < r; ++i) want.push_back(static_cast<std::int64_t>(i));
  if (perm != want) return nullptr;
  IV shape{m[0], m[1], m[2]};
  shape.insert(shape.end(), v.begin() + 1, v.end() - 2);
  auto a = xir::Attrs::create();
  a->set_attr<IV>("shape", shape);
  return c.add(name, "reshape", std::move(a), {{"input", {map}}});
}

}  // namespace

void transpose(Converter& c, const onnx::NodeProto& n) {
  const Value x = c.input(n, 0);
  const std::size_t rank = x.onnx_shape().size();
  I64 perm = attr_ints(n, "perm", {});
  if (perm.empty())
    for (std::size_t i = 0; i < rank; ++i) perm.push_back(static_cast<std::int64_t>(rank - 1 - i));
  I64 sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  I64 iota(rank);
  std::iota(iota.begin(), iota.end(), 0);
  if (sorted != iota) c.fail(n, "perm is not a permutation of the input's axes");
  if (xir::Op* view = nhwc_view(c, n.output(0), x, perm)) {
    c.set_value(n.output(0), {view, false});
    return;
  }
  IV order;
  if (rank == 4) {
    // The result is a NHWC feature map: out_xir[j] = out_onnx[(0,2,3,1)[j]] = in_onnx[perm[...]], and
    // an input feature map's ONNX axis a sits at XIR axis nhwc_axis(a).
    for (int j : {0, 2, 3, 1}) {
      const auto a = static_cast<int>(perm[j]);
      order.push_back(x.nhwc ? nhwc_axis(a) : a);
    }
  } else {
    xir::Op* src = x.nhwc ? c.to_nchw(x, n.output(0)) : x.op;
    for (auto p : perm) order.push_back(static_cast<std::int32_t>(p));
    auto a = xir::Attrs::create();
    a->set_attr<IV>("order", order);
    c.set_value(n.output(0), {c.add(n.output(0), "transpose", std::move(a), {{"input", {src}}}), false});
    return;
  }
  if (order == IV{0, 1, 2, 3}) {
    c.set_value(n.output(0), {x.op, true});
    return;
  }
  auto a = xir::Attrs::create();
  a->set_attr<IV>("order", order);
  c.set_value(n.output(0), {c.add(n.output(0), "transpose", std::move(a), {{"input", {x.op}}}), true});
}

void squeeze(Converter& c, const onnx::NodeProto& n) {
  const Value x = c.input(n, 0);
  const I64 in = x.onnx_shape();
  I64 axes = axes_of(c, n, 1);
  for (auto& a : axes) a = node_axis(c, n, a, in.size());
  I64 target;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const bool listed = std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) != axes.end();
    if (listed && in[i] != 1) c.fail(n, "squeezes axis " + std::to_string(i) + " of size " + std::to_string(in[i]));
    if (listed || (axes.empty() && in[i] == 1)) continue;
    target.push_back(in[i]);
  }
  reshape_value(c, n.output(0), x, target);
}

void unsqueeze(Converter& c, const onnx::NodeProto& n) {
  const Value x = c.input(n, 0);
  I64 target = x.onnx_shape();
  I64 axes = axes_of(c, n, 1);
  const std::size_t out_rank = target.size() + axes.size();
  for (auto& a : axes) a = node_axis(c, n, a, out_rank);
  std::sort(axes.begin(), axes.end());
  for (auto a : axes) target.insert(target.begin() + a, 1);
  reshape_value(c, n.output(0), x, target);
}

void split(Converter& c, const onnx::NodeProto& n) {
  const Value x = c.input(n, 0);
  const I64 in = x.onnx_shape();
  const std::int64_t axis = node_axis(c, n, attr_int(n, "axis", 0), in.size());
  I64 sizes = c.has_input(n, 1) ? c.get_const(n, 1).ints() : attr_ints(n, "split", {});
  const auto parts = static_cast<std::int64_t>(n.output_size());
  if (sizes.empty()) {
    const std::int64_t each = (in[axis] + parts - 1) / parts;  // the last part may be smaller (opset 18)
    for (std::int64_t i = 0, left = in[axis]; i < parts; ++i, left -= each) sizes.push_back(std::min(each, left));
  }
  if (static_cast<std::int64_t>(sizes.size()) != parts) c.fail(n, "split sizes do not match the number of outputs");
  if (std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}) != in[axis]) c.fail(n, "split sizes do not add up to the axis length");
  const auto& xir_shape = x.op->get_output_tensor()->get_shape();
  const std::size_t xa = x.nhwc ? static_cast<std::size_t>(nhwc_axis(static_cast<int>(axis))) : static_cast<std::size_t>(axis);
  std::int64_t start = 0;
  for (std::int64_t i = 0; i < parts; ++i) {
    const std::string& name = n.output(static_cast<int>(i));
    IV begin(xir_shape.size(), 0), end(xir_shape.begin(), xir_shape.end()), strides(xir_shape.size(), 1);
    begin[xa] = static_cast<std::int32_t>(start);
    end[xa] = static_cast<std::int32_t>(start + sizes[i]);
    start += sizes[i];
    if (name.empty()) continue;
    if (sizes[i] <= 0) c.fail(n, "output '" + name + "' would be empty");
    auto a = xir::Attrs::create();
    a->set_attr<IV>("begin", begin);
    a->set_attr<IV>("end", end);
    a->set_attr<IV>("strides", strides);
    c.set_value(name, {c.add(name, "strided_slice", std::move(a), {{"input", {x.op}}}), x.nhwc});
  }
}

}  // namespace dputk::onnx_import
