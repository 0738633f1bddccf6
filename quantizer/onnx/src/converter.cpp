#include "converter.hpp"

#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>

#include "dputk/common/atomic_file.hpp"
#include "dputk/onnx/onnx_import.hpp"

namespace dputk::onnx_import {

std::vector<std::int64_t> Value::onnx_shape() const {
  const auto& s = op->get_output_tensor()->get_shape();
  if (nhwc) return {s[0], s[3], s[1], s[2]};
  return {s.begin(), s.end()};
}

std::string Converter::node_name(const onnx::NodeProto& node) const {
  if (!node.name().empty()) return node.name();
  return node.output_size() ? node.output(0) : std::string("<unnamed>");
}

void Converter::fail(const onnx::NodeProto& node, const std::string& why) const {
  throw std::runtime_error("node '" + node_name(node) + "' (" + node.op_type() + "): " + why);
}

const ConstTensor& Converter::get_const(const onnx::NodeProto& node, int idx) const {
  if (!has_input(node, idx)) fail(node, "input " + std::to_string(idx) + " is missing");
  auto it = consts_.find(node.input(idx));
  if (it == consts_.end()) fail(node, "input '" + node.input(idx) + "' must be a constant (initializer)");
  return it->second;
}

const Value* Converter::find_value(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

Value Converter::input(const onnx::NodeProto& node, int idx) {
  if (!has_input(node, idx)) fail(node, "input " + std::to_string(idx) + " is missing");
  const std::string& name = node.input(idx);
  if (const Value* v = find_value(name)) return *v;
  auto it = consts_.find(name);
  if (it == consts_.end()) fail(node, "input '" + name + "' is produced by no node, initializer or graph input");
  std::vector<std::int32_t> shape(it->second.dims.begin(), it->second.dims.end());
  std::vector<float> vals(it->second.values.begin(), it->second.values.end());
  Value v{add_const(name, shape, vals), false};
  values_[name] = v;
  return v;
}

xir::Op* Converter::add(const std::string& name, const std::string& type, std::unique_ptr<xir::Attrs> attrs,
                        const std::map<std::string, std::vector<xir::Op*>>& inputs) {
  std::string unique = name;
  for (int i = 1; graph_->get_op(unique) || graph_->get_tensor(unique); ++i) unique = name + "_" + std::to_string(i);
  return graph_->add_op(unique, type, std::move(attrs), inputs);
}

xir::Op* Converter::add_const(const std::string& name, const std::vector<std::int32_t>& shape,
                              const std::vector<float>& values) {
  auto attrs = xir::Attrs::create();
  attrs->set_attr<std::vector<std::int32_t>>("shape", shape);
  attrs->set_attr<std::string>("data_type", "FLOAT32");
  std::vector<char> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  attrs->set_attr<std::vector<char>>("data", bytes);
  return add(name, "const", std::move(attrs), {});
}

xir::Op* Converter::to_nchw(const Value& v, const std::string& name) {
  std::vector<std::int32_t> order{0, 3, 1, 2};
  xir::Op* src = v.op;
  // A transpose of a transpose is one transpose (torch's permute(0, 2, 3, 1) before a reshape, as
  // detection heads export it, is no transpose at all on NHWC data); the inner one is pruned if unused.
  if (src->get_type() == "transpose") {
    const auto inner = src->get_attr<std::vector<std::int32_t>>("order");
    for (auto& o : order) o = inner.at(static_cast<std::size_t>(o));
    src = src->get_input_op("input");
    if (order == std::vector<std::int32_t>{0, 1, 2, 3}) return src;
  }
  auto attrs = xir::Attrs::create();
  attrs->set_attr<std::vector<std::int32_t>>("order", order);
  return add(name + "_to_nchw", "transpose", std::move(attrs), {{"input", {src}}});
}

void Converter::prune_unused(const std::set<const xir::Op*>& outputs) {
  for (bool removed = true; removed;) {
    removed = false;
    for (xir::Op* op : graph_->get_ops())
      if (op->get_fanout_num() == 0 && !outputs.count(op) && op->get_type() != "data") {
        graph_->remove_op(op);
        removed = true;
        break;
      }
  }
}

namespace {

std::unique_ptr<xir::Graph> convert(const onnx::ModelProto& model, const std::string& fallback_name,
                                    const OnnxImportOptions& options) {
  const auto& g = model.graph();
  if (g.node_size() == 0) throw std::runtime_error("the ONNX graph has no nodes");
  std::string name = g.name().empty() || g.name() == "torch_jit" || g.name() == "main_graph" ? fallback_name : g.name();
  auto graph = xir::Graph::create(name);
  Converter c(graph.get(), g);
  for (const auto& init : g.initializer()) c.set_const(init.name(), read_tensor(init, "initializer '" + init.name() + "'"));
  for (const auto& in : g.input()) {
    if (c.is_const(in.name())) continue;
    if (!in.type().has_tensor_type()) throw std::runtime_error("graph input '" + in.name() + "' is not a tensor");
    std::vector<std::int32_t> dims;
    for (const auto& d : in.type().tensor_type().shape().dim())
      dims.push_back(d.has_dim_value() ? static_cast<std::int32_t>(d.dim_value()) : -1);
    if (!dims.empty() && dims[0] <= 0) dims[0] = options.batch;
    for (auto d : dims)
      if (d <= 0) throw std::runtime_error("graph input '" + in.name() + "' has a symbolic dimension other than the batch");
    bool nhwc = dims.size() == 4;
    if (nhwc) dims = {dims[0], dims[2], dims[3], dims[1]};
    auto attrs = xir::Attrs::create();
    attrs->set_attr<std::vector<std::int32_t>>("shape", dims);
    attrs->set_attr<std::string>("data_type", "FLOAT32");
    c.set_value(in.name(), {c.add(in.name(), "data", std::move(attrs), {}), nhwc});
  }
  const auto& converters = node_converters();
  for (const auto& node : g.node()) {
    try {
      if (fold_constant_node(c, node)) continue;
    } catch (const std::invalid_argument& e) {
      c.fail(node, e.what());
    }
    auto it = converters.find(node.op_type());
    const bool standard = it != converters.end() && (node.domain().empty() || node.domain() == "ai.onnx");
    if (!standard && options.custom_op && options.custom_op(node.op_type())) {
      if (node.output_size() != 1 || node.output(0).empty()) c.fail(node, "a custom op must have exactly one output");
      custom_op(c, node);
      continue;
    }
    if (!standard) {
      std::ostringstream os;
      for (const auto& s : supported_onnx_ops()) os << " " << s;
      c.fail(node, "op type '" + node.op_type() + "' is not supported (a custom op needs its plugin libvart_op_imp_" + node.op_type() +
                       ".so on --op-plugin-dir, or \"custom_ops\" in the config). Supported:" + os.str());
    }
    if (node.output_size() < 1 || node.output(0).empty()) c.fail(node, "has no output");
    try {
      it->second(c, node);
    } catch (const std::invalid_argument& e) {
      c.fail(node, e.what());
    }
  }
  std::set<const xir::Op*> outputs;
  for (const auto& out : g.output()) {
    const Value* v = c.find_value(out.name());
    if (!v) throw std::runtime_error("graph output '" + out.name() + "' is not computed by any node");
    outputs.insert(v->op);
  }
  c.prune_unused(outputs);
  return graph;
}

}  // namespace

}  // namespace dputk::onnx_import

namespace dputk {

const std::vector<std::string>& supported_onnx_ops() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> v;
    for (const auto& kv : onnx_import::node_converters()) v.push_back(kv.first);
    return v;
  }();
  return ops;
}

std::unique_ptr<xir::Graph> import_onnx_from_string(const std::string& bytes, const std::string& name,
                                                    const OnnxImportOptions& options) {
  onnx::ModelProto model;
  if (bytes.empty()) throw std::runtime_error("empty file: not an ONNX model");
  if (!model.ParseFromString(bytes) || !model.has_graph())
    throw std::runtime_error("not a valid ONNX model (protobuf parse failed: truncated or corrupt)");
  return onnx_import::convert(model, name, options);
}

std::unique_ptr<xir::Graph> import_onnx(const std::string& path, const OnnxImportOptions& options) {
  std::string bytes = read_file(path);
  try {
    return import_onnx_from_string(bytes, std::filesystem::path(path).stem().string(), options);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace dputk
