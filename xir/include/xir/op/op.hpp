// xir::Op — a node of the graph: type, attrs, named input args, one output tensor.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "xir/attrs/attrs.hpp"
#include "xir/op/op_def.hpp"
#include "xir/tensor/tensor.hpp"

namespace xir {

class Graph;

class Op {
 public:
  Op(Graph* graph, std::string name, std::string type, std::unique_ptr<Attrs> attrs, const OpDef* def);
  ~Op();
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;

  const std::string& get_name() const { return name_; }
  const std::string& get_type() const { return type_; }
  const OpDef* get_opdef() const { return def_; }

  int get_input_num() const;
  int get_input_num(const std::string& arg_name) const;
  std::map<std::string, std::vector<Op*>> get_input_ops() const;
  std::vector<Op*> get_input_ops(const std::string& arg_name) const;
  Op* get_input_op(const std::string& arg_name, int idx = 0) const;
  void set_input_ops(const std::string& arg_name, const std::vector<Op*>& ops);
  void replace_input_op(Op* old_op, Op* new_op);
  // Input args in definition order, including args with no ops (what the file format stores).
  const std::vector<std::pair<std::string, std::vector<Op*>>>& input_args() const { return inputs_; }

  int get_fanout_num() const { return static_cast<int>(fanout_.size()); }
  std::vector<Op*> get_fanout_ops() const { return fanout_; }

  std::vector<Tensor*> get_input_tensors() const;
  std::vector<Tensor*> get_input_tensors(const std::string& arg_name) const;
  Tensor* get_input_tensor(const std::string& arg_name, int idx = 0) const;
  Tensor* get_output_tensor() { return output_.get(); }
  const Tensor* get_output_tensor() const { return output_.get(); }
  Tensor* replace_output_tensor(std::unique_ptr<Tensor> tensor);

  Graph* get_graph() { return graph_; }
  const Graph* get_graph() const { return graph_; }

  bool has_attr(const std::string& key) const { return attrs_->has_attr(key); }
  std::unique_ptr<Attrs> get_attrs() const { return Attrs::clone(attrs_.get()); }
  Op* set_attrs(std::unique_ptr<Attrs> attrs);
  const any& get_attr(const std::string& key) const { return attrs_->get_attr(key); }
  Op* set_attr(const std::string& key, const any& value) {
    attrs_->set_attr(key, value);
    return this;
  }
  // Throw std::bad_any_cast on a type mismatch (XIR semantics).
  template <typename T>
  T get_attr(const std::string& key) const { return attrs_->get_attr<T>(key); }
  template <typename T>
  Op* set_attr(const std::string& key, const T& value) {
    attrs_->set_attr<T>(key, value);
    return this;
  }
  template <typename T>
  T get_attr_or(const std::string& key, const T& fallback) const { return attrs_->get_attr_or<T>(key, fallback); }
  const Attrs& attrs() const { return *attrs_; }

  // Recomputes the output shape from the inputs and attrs (throws if the type has no shape rule).
  void shape_infer();
  std::string to_string(const std::string& delimiter = ",", const std::string& left = "{",
                        const std::string& right = "}") const;

 private:
  friend class Graph;
  void add_fanout(Op* op);
  void remove_fanout(Op* op);

  Graph* graph_;
  std::string name_;
  std::string type_;
  std::unique_ptr<Attrs> attrs_;
  const OpDef* def_;
  std::vector<std::pair<std::string, std::vector<Op*>>> inputs_;
  std::vector<Op*> fanout_;
  std::unique_ptr<Tensor> output_;
};

}  // namespace xir
