// xir::Graph — owns ops, their output tensors and the subgraph tree; reads and writes .xmodel files.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "xir/attrs/attrs.hpp"
#include "xir/graph/subgraph.hpp"
#include "xir/op/op.hpp"
#include "xir/tensor/tensor.hpp"

namespace xir {

class Graph {
 public:
  explicit Graph(const std::string& name);
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  static std::unique_ptr<Graph> create(const std::string& name) { return std::make_unique<Graph>(name); }
  // Reads an .xmodel file. Throws std::runtime_error naming the file and the problem.
  static std::unique_ptr<Graph> deserialize(const std::string& path);
  static std::unique_ptr<Graph> deserialize_from_string(const std::string& bytes);
  // Writes the graph; the file appears whole or not at all (temp file + rename). Output is
  // deterministic: the same graph gives the same bytes.
  void serialize(const std::string& path) const;
  void serialize_to_string(std::string* bytes) const;

  const std::string& get_name() const { return name_; }
  void set_name(const std::string& name) { name_ = name; }

  // Adds an op: type registered (or auto-registered with a warning), required attrs checked, optional
  // defaults filled, output tensor created and its shape inferred. Inputs must already be in the graph.
  Op* add_op(const std::string& name, const std::string& type, std::unique_ptr<Attrs> attrs,
             const std::map<std::string, std::vector<Op*>>& input_ops, Subgraph* subgraph = nullptr);
  Op* add_op(const std::string& name, const std::string& type, std::unique_ptr<Attrs> attrs,
             const std::map<std::string, std::vector<Op*>>& input_ops, const DataType& output_data_type,
             Subgraph* subgraph = nullptr);
  // Adds an op whose output tensor is given (no shape inference); used by the reader.
  Op* add_op_with_tensor(const std::string& name, const std::string& type, std::unique_ptr<Attrs> attrs,
                         const std::vector<std::pair<std::string, std::vector<Op*>>>& input_args,
                         std::unique_ptr<Tensor> output, Subgraph* subgraph = nullptr);
  void remove_op(Op* op);  // op must have no fanout

  Op* get_op(const std::string& op_name);
  const Op* get_op(const std::string& op_name) const;
  Tensor* get_tensor(const std::string& tensor_name);
  const Tensor* get_tensor(const std::string& tensor_name) const;
  int get_op_num() const { return static_cast<int>(ops_.size()); }
  std::set<Op*> get_ops();
  std::set<const Op*> get_ops() const;
  std::set<Tensor*> get_tensors();
  std::set<const Tensor*> get_tensors() const;
  std::vector<Op*> get_head_ops();
  std::vector<Op*> get_tail_ops();
  std::vector<const Op*> get_head_ops() const;
  std::vector<const Op*> get_tail_ops() const;
  Op* get_tensor_producer(const Tensor* tensor) { return const_cast<Op*>(tensor->get_producer()); }
  // Ops in dependency order; ties are broken by insertion order, so the result is deterministic.
  std::vector<Op*> topological_sort();
  std::vector<const Op*> topological_sort() const;
  // Ops in insertion order.
  const std::vector<std::unique_ptr<Op>>& ops_in_order() const { return ops_; }
  void infer_shape();

  Subgraph* get_root_subgraph() { return root_.get(); }
  const Subgraph* get_root_subgraph() const { return root_.get(); }
  Subgraph* get_leaf_subgraph(const Op* op);
  const Subgraph* get_leaf_subgraph(const Op* op) const;
  Subgraph* get_subgraph(const std::string& name);
  const Subgraph* get_subgraph(const std::string& name) const;

  bool has_attrs() const { return !attrs_->get_keys().empty(); }
  std::unique_ptr<Attrs> get_attrs() const { return Attrs::clone(attrs_.get()); }
  Graph* set_attrs(std::unique_ptr<Attrs> attrs) {
    attrs_ = std::move(attrs);
    return this;
  }
  bool has_attr(const std::string& key) const { return attrs_->has_attr(key); }
  const any& get_attr(const std::string& key) const { return attrs_->get_attr(key); }
  template <typename T>
  T get_attr(const std::string& key) const { return attrs_->get_attr<T>(key); }
  template <typename T>
  Graph* set_attr(const std::string& key, const T& value) {
    attrs_->set_attr<T>(key, value);
    return this;
  }
  const Attrs& attrs() const { return *attrs_; }

  std::string to_string(const std::string& delimiter = ",", const std::string& left = "{",
                        const std::string& right = "}") const;

 private:
  Op* insert_op(std::unique_ptr<Op> op, Subgraph* subgraph);

  std::string name_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::map<std::string, Op*> op_by_name_;
  std::map<std::string, Tensor*> tensor_by_name_;
  Tensor* find_tensor(const std::string& tensor_name) const;
  void forget_tensor(const Tensor* t);
  void rename_tensor(Tensor* t, const std::string& name);  // keeps get_tensor() right after Tensor::rename
  std::unique_ptr<Subgraph> root_;
  std::unique_ptr<Attrs> attrs_;
  friend class Op;
  friend class Tensor;
};

}  // namespace xir
