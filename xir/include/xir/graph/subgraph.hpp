// xir::Subgraph — a node of the partition tree. The root holds every op of the graph; a leaf holds
// its ops directly; an inner node holds the union of its children's ops.
#pragma once
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "xir/attrs/attrs.hpp"
#include "xir/op/op.hpp"

namespace xir {

class Graph;

class Subgraph {
 public:
  Subgraph(Graph* graph, Subgraph* parent, std::string name);
  ~Subgraph();

  const std::string& get_name() const { return name_; }
  Subgraph* set_name(const std::string& name) {
    name_ = name;
    return this;
  }
  int get_op_num() const { return static_cast<int>(ops_.size()); }
  std::set<Op*> get_ops();
  std::set<const Op*> get_ops() const;
  bool has_op(const Op* op) const { return ops_.count(const_cast<Op*>(op)) != 0; }
  bool has_op(const std::string& op_name) const;
  // The child (direct) that contains op, or nullptr.
  Subgraph* find_op(const Op* op) const;
  Subgraph* find_op(const std::string& op_name) const;
  const Op* get_tensor_producer(const Tensor* tensor) const;

  // Tensors consumed inside and produced outside (sets, as XIR; sorted variants below).
  std::set<const Tensor*> get_input_tensors() const;
  // Tensors produced inside and consumed outside or not consumed at all (graph outputs).
  std::set<const Tensor*> get_output_tensors() const;
  std::vector<const Tensor*> get_sorted_input_tensors(
      const std::function<bool(const Tensor*, const Tensor*)>& cmp = by_name) const;
  std::vector<const Tensor*> get_sorted_output_tensors(
      const std::function<bool(const Tensor*, const Tensor*)>& cmp = by_name) const;

  bool is_root() const { return parent_ == nullptr; }
  bool is_leaf() const { return children_.empty(); }
  Subgraph* get_root();
  const Subgraph* get_root() const;
  int get_depth() const;
  Subgraph* get_parent() { return parent_; }
  const Subgraph* get_parent() const { return parent_; }

  // Splits a leaf into one leaf child per op (named after the op).
  void create_children();
  int get_children_num() const { return static_cast<int>(children_.size()); }
  std::set<Subgraph*> get_children();
  std::set<const Subgraph*> get_children() const;
  bool is_child(Subgraph* subgraph) const;
  // Replaces the given children by one new child holding all their ops (and them as its children
  // when they are not leaves). Returns the new child.
  Subgraph* merge_children(std::set<Subgraph*> subgraph_list);
  // Children in dependency order; ties keep the stored (file) order.
  std::vector<Subgraph*> children_topological_sort();
  std::vector<const Subgraph*> children_topological_sort() const;
  // Children in stored order (the order they were created or read).
  const std::vector<std::unique_ptr<Subgraph>>& children_in_order() const { return children_; }
  Subgraph* add_child(const std::string& name);  // empty leaf child, for readers and partitioners
  void add_op_to_leaf(Op* op);                    // only on leaves; updates ancestors too
  void forget_op(Op* op);                         // removes op from this subtree (not from the graph)
  // Ops in topological order (graph order restricted to this subgraph).
  std::vector<Op*> topological_sort();
  std::vector<const Op*> topological_sort() const;

  Graph* get_graph() { return graph_; }
  const Graph* get_graph() const { return graph_; }
  const Subgraph* get_subgraph(const std::string& name) const;
  Subgraph* get_subgraph(const std::string& name);

  bool has_attrs() const { return !attrs_->get_keys().empty(); }
  std::unique_ptr<Attrs> get_attrs() const { return Attrs::clone(attrs_.get()); }
  Subgraph* set_attrs(std::unique_ptr<Attrs> attrs) {
    attrs_ = std::move(attrs);
    return this;
  }
  bool has_attr(const std::string& key) const { return attrs_->has_attr(key); }
  const any& get_attr(const std::string& key) const { return attrs_->get_attr(key); }
  template <typename T>
  T get_attr(const std::string& key) const { return attrs_->get_attr<T>(key); }
  template <typename T>
  Subgraph* set_attr(const std::string& key, const T& value) {
    attrs_->set_attr<T>(key, value);
    return this;
  }
  const Attrs& attrs() const { return *attrs_; }
  Attrs& attrs() { return *attrs_; }

  std::string to_string(const std::string& delimiter = ",", const std::string& left = "{",
                        const std::string& right = "}") const;

  static bool by_name(const Tensor* a, const Tensor* b) { return a->get_name() < b->get_name(); }

 private:
  friend class Graph;

  Graph* graph_;
  Subgraph* parent_;
  std::string name_;
  std::set<Op*> ops_;
  std::vector<std::unique_ptr<Subgraph>> children_;
  std::unique_ptr<Attrs> attrs_;
};

}  // namespace xir
