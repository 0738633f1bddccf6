// State shared by the ONNX node converters: values by ONNX name (an XIR op, or a constant not yet
// materialized), layout bookkeeping and helpers to add XIR ops.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "xir/graph/graph.hpp"

namespace dputk::onnx_import {

// A constant tensor (initializer or Constant node), values widened to double for easy handling.
struct ConstTensor {
  std::vector<std::int64_t> dims;
  std::vector<double> values;
  bool is_int = false;
  std::int64_t numel() const;
  // Values as int64, saturating (INT64_MAX "to the end" markers survive the trip through double).
  std::vector<std::int64_t> ints() const;
};

// A value the graph computes. Rank-4 feature maps are stored NHWC in XIR; `nhwc` marks them, and
// the ONNX (NCHW) view of their shape is `onnx_shape`.
struct Value {
  xir::Op* op = nullptr;
  bool nhwc = false;
  // The shape as ONNX sees it (NCHW for feature maps).
  std::vector<std::int64_t> onnx_shape() const;
};

class Converter {
 public:
  Converter(xir::Graph* graph, const onnx::GraphProto& g) : graph_(graph), onnx_graph_(g) {}

  xir::Graph* graph() { return graph_; }

  bool is_const(const std::string& name) const { return consts_.count(name) != 0; }
  const ConstTensor& get_const(const onnx::NodeProto& node, int input_idx) const;
  void set_const(const std::string& name, ConstTensor t) { consts_[name] = std::move(t); }
  bool has_input(const onnx::NodeProto& node, int idx) const { return idx < node.input_size() && !node.input(idx).empty(); }
  // The value of an input; a constant input is materialized as a const op in ONNX layout.
  Value input(const onnx::NodeProto& node, int idx);
  void set_value(const std::string& name, const Value& v) { values_[name] = v; }
  const Value* find_value(const std::string& name) const;

  // Adds an op named after the node's first output; extra ops of one node get a suffix.
  xir::Op* add(const std::string& name, const std::string& type, std::unique_ptr<xir::Attrs> attrs,
               const std::map<std::string, std::vector<xir::Op*>>& inputs);
  // A float32 const op with the given shape (already in XIR layout) and values.
  xir::Op* add_const(const std::string& name, const std::vector<std::int32_t>& shape, const std::vector<float>& values);
  // Puts a NHWC value into NCHW order (a transpose op), for ops whose meaning depends on element order.
  xir::Op* to_nchw(const Value& v, const std::string& name);
  // Removes ops nothing reads (left behind by to_nchw's transpose folding), except the graph outputs.
  void prune_unused(const std::set<const xir::Op*>& outputs);

  [[noreturn]] void fail(const onnx::NodeProto& node, const std::string& why) const;
  std::string node_name(const onnx::NodeProto& node) const;

 private:
  xir::Graph* graph_;
  const onnx::GraphProto& onnx_graph_;
  std::map<std::string, ConstTensor> consts_;
  std::map<std::string, Value> values_;
};

// Attribute readers (with defaults).
std::int64_t attr_int(const onnx::NodeProto& node, const std::string& name, std::int64_t dflt);
float attr_float(const onnx::NodeProto& node, const std::string& name, float dflt);
std::string attr_string(const onnx::NodeProto& node, const std::string& name, const std::string& dflt);
std::vector<std::int64_t> attr_ints(const onnx::NodeProto& node, const std::string& name,
                                    const std::vector<std::int64_t>& dflt);
const onnx::TensorProto* attr_tensor(const onnx::NodeProto& node, const std::string& name);

// Reads an ONNX TensorProto (float, double, int32, int64, ...; raw or typed storage).
ConstTensor read_tensor(const onnx::TensorProto& t, const std::string& what);

// An ONNX axis (negative: from the end) as an index into a rank-`rank` shape; fails naming the node.
std::int64_t node_axis(const Converter& c, const onnx::NodeProto& node, std::int64_t axis, std::size_t rank);
// Squeeze / Unsqueeze / ReduceX axes: the constant input `idx` (opset 13+) or the "axes" attribute.
std::vector<std::int64_t> axes_of(const Converter& c, const onnx::NodeProto& node, int idx);
// An ONNX Reshape target resolved against the input dims (0 copies the input's dim unless allowzero,
// one -1 is inferred).
std::vector<std::int64_t> reshape_target(const std::vector<std::int64_t>& in, std::vector<std::int64_t> target, bool allowzero);

// NCHW axis → NHWC axis for rank-4 feature maps.
int nhwc_axis(int nchw_axis);

// Shape arithmetic and other all-constant nodes: computes the node's output as a constant (no XIR op)
// and returns true, or returns false when the node is not constant (const_fold.cpp).
bool fold_constant_node(Converter& c, const onnx::NodeProto& node);

// Reshapes a value to an ONNX shape (NCHW element order; a 4-D result becomes a NHWC feature map).
void reshape_value(Converter& c, const std::string& name, const Value& x, const std::vector<std::int64_t>& target);

// Converters defined outside onnx_ops.cpp: layout_ops.cpp (Transpose, Squeeze, Unsqueeze, Split) and
// resize_op.cpp (Resize, Upsample).
void transpose(Converter& c, const onnx::NodeProto& n);
void squeeze(Converter& c, const onnx::NodeProto& n);
void unsqueeze(Converter& c, const onnx::NodeProto& n);
void split(Converter& c, const onnx::NodeProto& n);
void resize(Converter& c, const onnx::NodeProto& n);

using NodeConverter = std::function<void(Converter&, const onnx::NodeProto&)>;
const std::map<std::string, NodeConverter>& node_converters();
// A custom op (OnnxImportOptions::custom_op): an XIR op of the node's type, float, shaped like its
// first input; its ONNX int / float / string attributes become XIR attributes.
void custom_op(Converter& c, const onnx::NodeProto& node);

}  // namespace dputk::onnx_import
