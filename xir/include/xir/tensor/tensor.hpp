// xir::Tensor — the output of one op: name, shape (NHWC for feature maps), data type, attrs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "xir/attrs/attrs.hpp"
#include "xir/util/data_type.hpp"

namespace xir {

// The largest tensor we accept (2^40 elements). Shapes that come from files or are computed from them are
// checked against it, so element counts and byte sizes can never overflow.
constexpr std::int64_t kMaxTensorElements = std::int64_t{1} << 40;
// The element count of `dims`, or -1 when a dimension is negative or the count exceeds kMaxTensorElements.
template <typename Int>
std::int64_t checked_element_count(const std::vector<Int>& dims) {
  std::int64_t n = 1;
  for (auto d64 : dims) {
    const std::int64_t d = static_cast<std::int64_t>(d64);
    if (d < 0 || (d && n > kMaxTensorElements / d)) return -1;
    n *= d;
  }
  return n;
}

class Op;

class Tensor {
 public:
  Tensor(std::string name, std::vector<std::int32_t> shape, DataType data_type)
      : name_(std::move(name)), shape_(std::move(shape)), data_type_(data_type), attrs_(Attrs::create()) {}

  static std::unique_ptr<Tensor> create(const std::string& name, const std::vector<std::int32_t>& shape,
                                        const DataType& data_type) {
    return std::make_unique<Tensor>(name, shape, data_type);
  }
  static std::unique_ptr<Tensor> clone(const Tensor* tensor);
  static std::unique_ptr<Tensor> clone(const Tensor* tensor, const std::string& name);

  const std::string& get_name() const { return name_; }
  // Renames the tensor; within a graph the name must be free (std::invalid_argument otherwise).
  void rename(const std::string& name);
  const Op* get_producer() const { return producer_; }
  Op* get_producer() { return producer_; }
  const std::vector<std::int32_t>& get_shape() const { return shape_; }
  void set_shape(const std::vector<std::int32_t>& shape) { shape_ = shape; }
  std::int64_t get_element_num() const;
  const DataType& get_data_type() const { return data_type_; }
  void set_data_type(const DataType& t) { data_type_ = t; }
  std::uint64_t get_data_size() const {
    return static_cast<std::uint64_t>(get_element_num()) * data_type_.bit_width / 8;
  }
  // Deprecated XIR accessors, kept because older board applications call them.
  std::vector<std::int32_t> get_dims() const { return shape_; }
  std::int32_t get_dim_num() const { return static_cast<std::int32_t>(shape_.size()); }
  std::int32_t get_dim_size(std::int32_t idx) const { return shape_.at(idx); }
  std::int32_t get_bit_width() const { return data_type_.bit_width; }

  // XIR declares the return type 'const bool'; kept for source compatibility.
  const bool has_attr(const std::string& key) const { return attrs_->has_attr(key); }
  template <typename T>
  T get_attr(const std::string& key) const { return attrs_->get_attr<T>(key); }
  template <typename T>
  Tensor* set_attr(const std::string& key, const T& value) {
    attrs_->set_attr<T>(key, value);
    return this;
  }
  std::unique_ptr<Attrs> get_attrs() const { return Attrs::clone(attrs_.get()); }
  Tensor* set_attrs(std::unique_ptr<Attrs> attrs) {
    attrs_ = std::move(attrs);
    return this;
  }
  const Attrs& attrs() const { return *attrs_; }
  Attrs& attrs() { return *attrs_; }

  std::string to_string(const std::string& delimiter = ",", const std::string& left = "{",
                        const std::string& right = "}") const;

 private:
  friend class Op;
  friend class Graph;
  std::string name_;
  std::vector<std::int32_t> shape_;
  DataType data_type_;
  std::unique_ptr<Attrs> attrs_;
  Op* producer_ = nullptr;
};

}  // namespace xir
