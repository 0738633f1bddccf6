// xir::Attrs — a string-keyed bag of typed values (std::any), with the method names of Xilinx XIR.
// Keys are kept sorted so that every walk over them (dumps, serialization) is deterministic.
#pragma once
#include <any>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

namespace xir {

using any = std::any;

class Attrs {
 public:
  static std::unique_ptr<Attrs> create() { return std::make_unique<Attrs>(); }
  static std::unique_ptr<Attrs> clone(const Attrs* attrs) {
    return attrs ? std::make_unique<Attrs>(*attrs) : create();
  }

  bool has_attr(const std::string& key) const { return values_.count(key) != 0; }
  bool has_attr(const std::string& key, const std::type_info& type) const {
    auto it = values_.find(key);
    return it != values_.end() && it->second.type() == type;
  }
  const any& get_attr(const std::string& key) const;
  any& get_attr(const std::string& key);
  Attrs* set_attr(const std::string& key, const any& value) {
    values_[key] = value;
    return this;
  }
  bool del_attr(const std::string& key) { return values_.erase(key) != 0; }
  std::vector<std::string> get_keys() const;
  std::string debug_info() const;

  // Throws std::bad_any_cast on a type mismatch, as XIR's Attrs::get_attr<T> does.
  template <typename T>
  T get_attr(const std::string& key) const {
    return std::any_cast<T>(get_attr(key));
  }
  template <typename T>
  Attrs* set_attr(const std::string& key, const T& value) {
    values_[key] = any(value);
    return this;
  }
  // Not in XIR: a typed read with a fallback, used all over our own code.
  template <typename T>
  T get_attr_or(const std::string& key, const T& fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    return std::any_cast<T>(it->second);
  }

  const std::map<std::string, any>& values() const { return values_; }

 private:
  std::map<std::string, any> values_;
};

// Human-readable rendering of one attr value ("[1, 2, 3]", "\"RELU\"", "<bytes 1024>").
std::string to_string(const any& value);
// Equality of two attr values of the types XIR serializes; false when the types differ.
bool any_equal(const any& a, const any& b);

}  // namespace xir
