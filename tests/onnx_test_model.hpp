// Building small ONNX models in tests with the ONNX protobuf classes (for ops and layouts the shared
// models do not cover).
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cmath>
#include <string>
#include <vector>

namespace dputk::test {

inline onnx::TensorProto float_tensor(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t.add_dims(d);
  for (float v : values) t.add_float_data(v);
  return t;
}

inline onnx::TensorProto int64_tensor(const std::string& name, const std::vector<std::int64_t>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(static_cast<std::int64_t>(values.size()));
  for (auto v : values) t.add_int64_data(v);
  return t;
}

// Deterministic weights: 0.5·sin(131·seed + i).
inline onnx::TensorProto seeded_tensor(const std::string& name, const std::vector<std::int64_t>& dims, unsigned seed) {
  std::int64_t n = 1;
  for (auto d : dims) n *= d;
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = std::sin(static_cast<float>(seed * 131 + i)) * 0.5f;
  return float_tensor(name, dims, v);
}

// An opset-13 model with one float input `input` of NCHW `dims`; returns its graph.
inline onnx::GraphProto* start_onnx_model(onnx::ModelProto& m, const std::string& graph_name, const std::string& input,
                                          const std::vector<std::int64_t>& dims) {
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name(graph_name);
  auto* in = g->add_input();
  in->set_name(input);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  return g;
}

// A node with one output; it is named `name`, or after its output when `name` is empty.
inline onnx::NodeProto* add_onnx_node(onnx::GraphProto* g, const std::string& type, const std::vector<std::string>& inputs,
                                      const std::string& output, const std::string& name = "") {
  auto* n = g->add_node();
  n->set_op_type(type);
  n->set_name(name.empty() ? output : name);
  for (const auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

inline void set_onnx_attr(onnx::NodeProto* n, const std::string& name, std::int64_t i) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(i);
}
inline void set_onnx_attr(onnx::NodeProto* n, const std::string& name, float f) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(f);
}
inline void set_onnx_attr(onnx::NodeProto* n, const std::string& name, const std::vector<std::int64_t>& ints) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto v : ints) a->add_ints(v);
}
inline void set_onnx_attr(onnx::NodeProto* n, const std::string& name, const onnx::TensorProto& t) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::TENSOR);
  *a->mutable_t() = t;
}

}  // namespace dputk::test
