#include <cstring>
#include <limits>
#include <stdexcept>

#include "converter.hpp"
#include "xir/tensor/tensor.hpp"

namespace dputk::onnx_import {

std::int64_t ConstTensor::numel() const {
  std::int64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

std::vector<std::int64_t> ConstTensor::ints() const {
  std::vector<std::int64_t> out;
  for (double v : values) {
    if (v >= 9.2e18) out.push_back(std::numeric_limits<std::int64_t>::max());
    else if (v <= -9.2e18) out.push_back(std::numeric_limits<std::int64_t>::min());
    else out.push_back(static_cast<std::int64_t>(v));
  }
  return out;
}

namespace {
template <typename T>
void from_raw(const std::string& raw, std::int64_t n, std::vector<double>* out, const std::string& what) {
  if (raw.size() != static_cast<std::size_t>(n) * sizeof(T))
    throw std::runtime_error(what + ": raw data holds " + std::to_string(raw.size()) + " bytes, expected " +
                             std::to_string(n * static_cast<std::int64_t>(sizeof(T))));
  out->resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    (*out)[static_cast<std::size_t>(i)] = static_cast<double>(v);
  }
}
}  // namespace

ConstTensor read_tensor(const onnx::TensorProto& t, const std::string& what) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw std::runtime_error(what + ": tensor data stored in an external file is not supported; re-export with the weights inside the model");
  ConstTensor c;
  c.dims.assign(t.dims().begin(), t.dims().end());
  const std::int64_t n = xir::checked_element_count(c.dims);
  if (n < 0) throw std::runtime_error(what + ": shape is out of range (negative or over 2^40 elements)");
  const std::string& raw = t.raw_data();
  using TP = onnx::TensorProto;
  auto check = [&](int have) {
    if (have != n) throw std::runtime_error(what + ": holds " + std::to_string(have) + " values, its shape says " + std::to_string(n));
  };
  switch (t.data_type()) {
    case TP::FLOAT:
      if (!raw.empty()) from_raw<float>(raw, n, &c.values, what);
      else { check(t.float_data_size()); c.values.assign(t.float_data().begin(), t.float_data().end()); }
      break;
    case TP::DOUBLE:
      if (!raw.empty()) from_raw<double>(raw, n, &c.values, what);
      else { check(t.double_data_size()); c.values.assign(t.double_data().begin(), t.double_data().end()); }
      break;
    case TP::INT64:
      c.is_int = true;
      if (!raw.empty()) from_raw<std::int64_t>(raw, n, &c.values, what);
      else { check(t.int64_data_size()); c.values.assign(t.int64_data().begin(), t.int64_data().end()); }
      break;
    case TP::INT32:
      c.is_int = true;
      if (!raw.empty()) from_raw<std::int32_t>(raw, n, &c.values, what);
      else { check(t.int32_data_size()); c.values.assign(t.int32_data().begin(), t.int32_data().end()); }
      break;
    case TP::INT8:
      c.is_int = true;
      if (!raw.empty()) from_raw<std::int8_t>(raw, n, &c.values, what);
      else { check(t.int32_data_size()); c.values.assign(t.int32_data().begin(), t.int32_data().end()); }
      break;
    case TP::UINT8:
      c.is_int = true;
      if (!raw.empty()) from_raw<std::uint8_t>(raw, n, &c.values, what);
      else { check(t.int32_data_size()); c.values.assign(t.int32_data().begin(), t.int32_data().end()); }
      break;
    default:
      throw std::runtime_error(what + ": tensor element type " + std::to_string(t.data_type()) + " is not supported");
  }
  return c;
}

std::int64_t node_axis(const Converter& c, const onnx::NodeProto& node, std::int64_t axis, std::size_t rank) {
  const auto r = static_cast<std::int64_t>(rank);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) c.fail(node, "axis " + std::to_string(axis) + " is out of range for a rank-" + std::to_string(rank) + " tensor");
  return axis;
}

std::vector<std::int64_t> axes_of(const Converter& c, const onnx::NodeProto& node, int idx) {
  if (c.has_input(node, idx)) return c.get_const(node, idx).ints();
  return attr_ints(node, "axes", {});
}

std::vector<std::int64_t> reshape_target(const std::vector<std::int64_t>& in, std::vector<std::int64_t> target, bool allowzero) {
  std::int64_t total = 1, known = 1;
  for (auto d : in) total *= d;
  int infer = -1;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && i < in.size() && !allowzero) target[i] = in[i];
    if (target[i] == -1) infer = static_cast<int>(i);
    else known *= target[i];
  }
  if (infer >= 0) target[static_cast<std::size_t>(infer)] = known ? total / known : 0;
  return target;
}

int nhwc_axis(int nchw_axis) {
  static const int map[4] = {0, 3, 1, 2};
  if (nchw_axis < 0) nchw_axis += 4;  // ONNX counts negative axes from the end
  if (nchw_axis < 0 || nchw_axis > 3) throw std::invalid_argument("axis " + std::to_string(nchw_axis) + " is out of range for a 4-D tensor");
  return map[nchw_axis];
}

std::int64_t attr_int(const onnx::NodeProto& node, const std::string& name, std::int64_t dflt) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.i();
  return dflt;
}
float attr_float(const onnx::NodeProto& node, const std::string& name, float dflt) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.f();
  return dflt;
}
std::string attr_string(const onnx::NodeProto& node, const std::string& name, const std::string& dflt) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.s();
  return dflt;
}
std::vector<std::int64_t> attr_ints(const onnx::NodeProto& node, const std::string& name,
                                    const std::vector<std::int64_t>& dflt) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return dflt;
}
const onnx::TensorProto* attr_tensor(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a.t();
  return nullptr;
}

}  // namespace dputk::onnx_import
