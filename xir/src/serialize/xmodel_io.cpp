// Graph <-> .xmodel (serial_v2 protobuf). Ops are written in topological order, maps sorted, so the
// same graph always gives the same bytes; reading checks names and order and says what is wrong.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <glog/logging.h>

#include <limits>
#include <stdexcept>

#include "attr_value.hpp"
#include "dputk/common/atomic_file.hpp"
#include "xir/graph/graph.hpp"
#include "xmodel.pb.h"

namespace xir {

namespace {

using AttrMap = google::protobuf::Map<std::string, serial_v2::AttrValue>;

void attrs_to_proto(const Attrs& attrs, AttrMap* out, const std::string& what) {
  for (const auto& [key, value] : attrs.values()) {
    if (key.rfind("__", 0) == 0) continue;  // private attrs are never serialized
    serial_v2::AttrValue v;
    serial::to_proto(value, &v, what + " attr '" + key + "'");
    (*out)[key] = std::move(v);
  }
}

std::unique_ptr<Attrs> attrs_from_proto(const AttrMap& map, const std::string& what) {
  auto attrs = Attrs::create();
  for (const auto& [key, value] : map) attrs->set_attr(key, serial::from_proto(value, what + " attr '" + key + "'"));
  return attrs;
}

void tensor_to_proto(const Tensor& t, serial_v2::Tensor* out) {
  out->set_tensor_name(t.get_name());
  for (auto d : t.get_shape()) out->add_tensor_dim(static_cast<std::uint32_t>(d));
  out->set_data_type(static_cast<std::int32_t>(t.get_data_type().type));
  out->set_tensor_bit_width(t.get_data_type().bit_width);
  attrs_to_proto(t.attrs(), out->mutable_tensor_attr(), "tensor '" + t.get_name() + "'");
}

// A shape read from a file: dimensions within int32 and a checked element count (no overflow later).
template <typename Int>
void check_file_shape(const std::vector<Int>& dims, const std::string& what) {
  for (auto d : dims)
    if (static_cast<std::int64_t>(d) > std::numeric_limits<std::int32_t>::max())
      throw std::runtime_error(what + ": shape dimension " + std::to_string(d) + " is out of range");
  if (checked_element_count(dims) < 0) throw std::runtime_error(what + ": shape has a negative dimension or more than 2^40 elements");
}

std::unique_ptr<Tensor> tensor_from_proto(const serial_v2::Tensor& p, const std::string& op_name) {
  std::vector<std::int32_t> shape;
  check_file_shape(std::vector<std::uint32_t>(p.tensor_dim().begin(), p.tensor_dim().end()),
                   "op '" + op_name + "': tensor '" + p.tensor_name() + "'");
  for (auto d : p.tensor_dim()) shape.push_back(static_cast<std::int32_t>(d));
  int t = p.data_type();
  if (t < DataType::INT || t > DataType::UNKNOWN)
    throw std::runtime_error("op '" + op_name + "': output tensor has an invalid data type code " + std::to_string(t));
  auto tensor = Tensor::create(p.tensor_name(), shape, DataType(static_cast<DataType::Type>(t), p.tensor_bit_width()));
  tensor->set_attrs(attrs_from_proto(p.tensor_attr(), "tensor '" + p.tensor_name() + "'"));
  return tensor;
}

void opdef_to_proto(const OpDef& def, serial_v2::OpDef* out) {
  out->set_name(def.name());
  out->set_annotation(def.annotation());
  for (const auto& a : def.input_args()) {
    auto* pa = out->add_input_args();
    pa->set_name(a.name);
    pa->set_occur_type(static_cast<serial_v2::OpArgDef::OccurType>(a.occur_type));
    pa->set_data_type(static_cast<std::int32_t>(a.data_type));
    pa->set_annotation(a.annotation);
  }
  for (const auto& a : def.attrs()) {
    auto* pa = out->add_attrs();
    pa->set_name(a.name);
    pa->set_occur_type(static_cast<serial_v2::AttrDef::OccurType>(a.occur_type));
    if (a.default_value.has_value()) serial::to_proto(a.default_value, pa->mutable_default_value(), "op def '" + def.name() + "'");
    pa->set_list_length(a.list_length);
    pa->set_annotation(a.annotation);
  }
}

OpDef opdef_from_proto(const serial_v2::OpDef& p) {
  OpDef def(p.name());
  def.set_annotation(p.annotation());
  for (const auto& a : p.input_args()) {
    int occ = a.occur_type();
    int dt = a.data_type();
    def.add_input_arg({a.name(), static_cast<OpArgDef::OccurType>(occ >= 0 && occ < OpArgDef::NUM ? occ : OpArgDef::REPEATED),
                       static_cast<DataType::Type>(dt >= 0 && dt <= DataType::UNKNOWN ? dt : DataType::UNKNOWN),
                       a.annotation()});
  }
  for (const auto& a : p.attrs()) {
    AttrDef ad;
    ad.name = a.name();
    ad.occur_type = a.occur_type() == serial_v2::AttrDef::OPTIONAL ? AttrDef::OPTIONAL : AttrDef::REQUIRED;
    ad.list_length = a.list_length();
    ad.annotation = a.annotation();
    if (a.has_default_value() && a.default_value().value_case() != serial_v2::AttrValue::VALUE_NOT_SET) {
      ad.default_value = serial::from_proto(a.default_value(), "op def '" + p.name() + "'");
      ad.type_index = ad.default_value.type();
    }
    def.add_attr(ad);
  }
  // A shape rule for a file-defined type: take the 'shape' attr when the op has one.
  def.set_shape_infer([](Op* op) {
    if (!op->has_attr("shape")) throw std::runtime_error("op '" + op->get_name() + "': no shape rule for type " + op->get_type());
    const auto shape = op->get_attr<std::vector<std::int32_t>>("shape");
    check_file_shape(shape, "op '" + op->get_name() + "'");
    op->get_output_tensor()->set_shape(shape);
  });
  return def;
}

void subgraph_to_proto(const Subgraph& sg, serial_v2::SubGraph* out) {
  out->set_subgraph_name(sg.get_name());
  attrs_to_proto(sg.attrs(), out->mutable_subg_attr(), "subgraph '" + sg.get_name() + "'");
  if (sg.is_leaf()) {
    for (const Op* op : sg.topological_sort()) out->add_op_name(op->get_name());
  } else {
    for (const Subgraph* child : sg.children_topological_sort()) subgraph_to_proto(*child, out->add_subg_child());
  }
}

void subgraph_from_proto(const serial_v2::SubGraph& p, Subgraph* sg, Graph* graph, std::set<const Op*>* placed) {
  sg->set_name(p.subgraph_name());
  sg->set_attrs(attrs_from_proto(p.subg_attr(), "subgraph '" + p.subgraph_name() + "'"));
  if (p.subg_child_size() > 0 && p.op_name_size() > 0)
    throw std::runtime_error("subgraph '" + p.subgraph_name() + "' lists both ops and children");
  for (const auto& name : p.op_name()) {
    Op* op = graph->get_op(name);
    if (!op) throw std::runtime_error("subgraph '" + p.subgraph_name() + "' names op '" + name + "', which the graph does not have");
    if (!placed->insert(op).second) throw std::runtime_error("op '" + name + "' is placed in more than one leaf subgraph");
    sg->add_op_to_leaf(op);
  }
  for (const auto& child : p.subg_child()) subgraph_from_proto(child, sg->add_child(child.subgraph_name()), graph, placed);
}

std::unique_ptr<Graph> graph_from_proto(const serial_v2::Graph& p) {
  auto& factory = OpDefFactory::instance();
  for (const auto& d : p.op_defs())
    if (!factory.find(d.name())) factory.register_def(opdef_from_proto(d));
  auto graph = Graph::create(p.graph_name());
  graph->set_attrs(attrs_from_proto(p.graph_attr(), "graph"));
  // Ops go into a scratch leaf first; the stored subgraph tree is rebuilt afterwards.
  for (const auto& node : p.op_node()) {
    if (node.op_name().empty()) throw std::runtime_error("an op has an empty name");
    std::vector<std::pair<std::string, std::vector<Op*>>> args;
    for (const auto& a : node.args()) {
      std::vector<Op*> ops;
      for (const auto& in : a.arg_ops()) {
        Op* src = graph->get_op(in);
        if (!src)
          throw std::runtime_error("op '" + node.op_name() + "' input '" + a.arg_name() + "' names op '" + in +
                                   "', which is not defined before it (dangling name, or ops not in topological order)");
        ops.push_back(src);
      }
      args.emplace_back(a.arg_name(), ops);
    }
    auto attrs = attrs_from_proto(node.op_attr(), "op '" + node.op_name() + "'");
    if (!node.has_output_tensor()) throw std::runtime_error("op '" + node.op_name() + "' has no output tensor");
    auto tensor = tensor_from_proto(node.output_tensor(), node.op_name());
    try {
      graph->add_op_with_tensor(node.op_name(), node.op_type(), std::move(attrs), args, std::move(tensor));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
  }
  if (p.has_subg_root()) {
    std::set<const Op*> placed;
    // Rebuild: detach all ops from the scratch root, then replay the stored tree.
    Subgraph* root = graph->get_root_subgraph();
    const auto& pr = p.subg_root();
    if (pr.subg_child_size() == 0) {
      if (pr.op_name_size() != graph->get_op_num() && pr.op_name_size() != 0)
        throw std::runtime_error("root subgraph lists " + std::to_string(pr.op_name_size()) + " ops but the graph has " +
                                 std::to_string(graph->get_op_num()));
      root->set_name(pr.subgraph_name());
      root->set_attrs(attrs_from_proto(pr.subg_attr(), "subgraph '" + pr.subgraph_name() + "'"));
    } else {
      for (Op* op : graph->get_ops()) root->forget_op(op);
      subgraph_from_proto(pr, root, graph.get(), &placed);
      if (static_cast<int>(placed.size()) != graph->get_op_num())
        throw std::runtime_error("subgraph tree places " + std::to_string(placed.size()) + " of " +
                                 std::to_string(graph->get_op_num()) + " ops");
    }
  }
  graph->topological_sort();  // throws on a cycle
  return graph;
}

void graph_to_proto(const Graph& graph, serial_v2::Graph* out) {
  out->set_graph_name(graph.get_name());
  for (const Op* op : graph.topological_sort()) {
    auto* node = out->add_op_node();
    node->set_op_name(op->get_name());
    node->set_op_type(op->get_type());
    attrs_to_proto(op->attrs(), node->mutable_op_attr(), "op '" + op->get_name() + "'");
    for (const auto& [arg, ops] : op->input_args()) {
      auto* a = node->add_args();
      a->set_arg_name(arg);
      for (const Op* in : ops) a->add_arg_ops(in->get_name());
    }
    tensor_to_proto(*op->get_output_tensor(), node->mutable_output_tensor());
  }
  subgraph_to_proto(*graph.get_root_subgraph(), out->mutable_subg_root());
  attrs_to_proto(graph.attrs(), out->mutable_graph_attr(), "graph");
  for (const OpDef* def : OpDefFactory::instance().registered_defs()) opdef_to_proto(*def, out->add_op_defs());
}

}  // namespace

std::unique_ptr<Graph> Graph::deserialize_from_string(const std::string& bytes) {
  serial_v2::Graph p;
  if (bytes.empty()) throw std::runtime_error("empty input: not an .xmodel");
  if (!p.ParseFromString(bytes)) throw std::runtime_error("not a valid .xmodel (protobuf parse failed: truncated or corrupt)");
  if (p.op_node_size() == 0) throw std::runtime_error("not a valid .xmodel (no ops)");
  return graph_from_proto(p);
}

std::unique_ptr<Graph> Graph::deserialize(const std::string& path) {
  std::string bytes = dputk::read_file(path);
  try {
    return deserialize_from_string(bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

void Graph::serialize_to_string(std::string* bytes) const {
  serial_v2::Graph p;
  graph_to_proto(*this, &p);
  bytes->clear();
  google::protobuf::io::StringOutputStream sos(bytes);
  google::protobuf::io::CodedOutputStream cos(&sos);
  cos.SetSerializationDeterministic(true);
  if (!p.SerializeToCodedStream(&cos)) throw std::runtime_error("graph '" + name_ + "': serialization failed");
}

void Graph::serialize(const std::string& path) const {
  std::string bytes;
  serialize_to_string(&bytes);
  dputk::write_file_atomic(path, bytes);
}

}  // namespace xir
