// Op definitions: which inputs and attributes an op type takes, their defaults, and its shape rule.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <typeindex>
#include <vector>

#include "xir/attrs/attrs.hpp"
#include "xir/util/data_type.hpp"

namespace xir {

class Op;

struct OpArgDef {
  enum OccurType { REQUIRED, OPTIONAL, REPEATED, REQUIRED_AND_REPEATED, NUM };
  std::string name;
  OccurType occur_type = REQUIRED;
  DataType::Type data_type = DataType::FLOAT;
  std::string annotation;
};

struct AttrDef {
  enum OccurType { REQUIRED, OPTIONAL, NUM };
  std::string name;
  std::type_index type_index = typeid(void);
  OccurType occur_type = REQUIRED;
  std::int32_t list_length = 0;
  std::string annotation;
  any default_value;  // holds a value of the attr's type even for REQUIRED attrs
};

template <typename T>
struct AttrDefBuilder {
  static AttrDef build(const std::string& name, AttrDef::OccurType occur, const std::string& annotation,
                       const T& default_value = T()) {
    AttrDef d;
    d.name = name;
    d.type_index = typeid(T);
    d.occur_type = occur;
    d.annotation = annotation;
    d.default_value = any(default_value);
    return d;
  }
};

using ShapeInferFn = std::function<void(Op*)>;

class OpDef {
 public:
  OpDef() = default;
  explicit OpDef(const std::string& name) : name_(name) {}

  OpDef& add_input_arg(const OpArgDef& arg) {
    input_args_.push_back(arg);
    return *this;
  }
  OpDef& add_attr(const AttrDef& attr) {
    attrs_.push_back(attr);
    return *this;
  }
  OpDef& set_annotation(const std::string& annotation) {
    annotation_ = annotation;
    return *this;
  }
  OpDef& set_shape_infer(ShapeInferFn fn) {
    shape_infer_ = std::move(fn);
    return *this;
  }
  OpDef& inherit_from(const OpDef& base);

  const std::string& name() const { return name_; }
  const std::vector<OpArgDef>& input_args() const { return input_args_; }
  const std::vector<AttrDef>& attrs() const { return attrs_; }
  const std::string& annotation() const { return annotation_; }
  const ShapeInferFn& shape_infer() const { return shape_infer_; }
  const AttrDef* find_attr(const std::string& name) const;
  const OpArgDef* find_input_arg(const std::string& name) const;

 private:
  std::string name_;
  std::vector<OpArgDef> input_args_;
  std::vector<AttrDef> attrs_;
  std::string annotation_;
  ShapeInferFn shape_infer_;
};

// The process-wide op registry (built-ins are registered on first use). Thread-safe.
class OpDefFactory {
 public:
  static OpDefFactory& instance();
  // Registers def unless a definition of that name exists; returns the registered one.
  const OpDef* register_def(const OpDef& def);
  const OpDef* find(const std::string& type) const;
  // Registers a placeholder definition for an op type nobody defined (as XIR does on load):
  // input "input" REPEATED, required shape/data_type. Logs a warning once per type.
  const OpDef* register_unknown(const std::string& type);
  std::vector<std::string> registered_types() const;
  std::vector<const OpDef*> registered_defs() const;

 private:
  OpDefFactory();
  struct Impl;
  Impl* impl_;
};

void register_builtin_ops(OpDefFactory& factory);

}  // namespace xir
