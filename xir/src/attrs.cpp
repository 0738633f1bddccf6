#include "xir/attrs/attrs.hpp"

#include <sstream>

#include "attr_types.hpp"

namespace xir {

const any& Attrs::get_attr(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::out_of_range("xir::Attrs: no attr named '" + key + "'");
  return it->second;
}

any& Attrs::get_attr(const std::string& key) {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::out_of_range("xir::Attrs: no attr named '" + key + "'");
  return it->second;
}

std::vector<std::string> Attrs::get_keys() const {
  std::vector<std::string> keys;
  for (const auto& kv : values_) keys.push_back(kv.first);
  return keys;
}

std::string Attrs::debug_info() const {
  std::ostringstream os;
  os << "{";
  bool first = true;
  for (const auto& [k, v] : values_) {
    os << (first ? "" : ", ") << k << ": " << to_string(v);
    first = false;
  }
  os << "}";
  return os.str();
}

namespace {

void print(std::ostream& os, bool v) { os << (v ? "true" : "false"); }
void print(std::ostream& os, std::int32_t v) { os << v; }
void print(std::ostream& os, std::uint32_t v) { os << v; }
void print(std::ostream& os, std::int64_t v) { os << v; }
void print(std::ostream& os, std::uint64_t v) { os << v; }
void print(std::ostream& os, float v) { os << v; }
void print(std::ostream& os, double v) { os << v; }
void print(std::ostream& os, const std::string& v) { os << '"' << v << '"'; }
void print(std::ostream& os, const detail::Bytes& v) { os << "<bytes " << v.size() << ">"; }
template <typename T>
void print(std::ostream& os, const std::vector<T>& v) {
  os << "[";
  const std::size_t limit = 16;
  for (std::size_t i = 0; i < v.size() && i < limit; ++i) {
    if (i) os << ", ";
    if constexpr (std::is_same_v<T, bool>) {
      print(os, static_cast<bool>(v[i]));
    } else {
      print(os, v[i]);
    }
  }
  if (v.size() > limit) os << ", ... (" << v.size() << " values)";
  os << "]";
}
template <typename T>
void print(std::ostream& os, const detail::MapOf<T>& m) {
  os << "{";
  bool first = true;
  for (const auto& [k, v] : m) {
    os << (first ? "" : ", ") << k << ": ";
    print(os, v);
    first = false;
  }
  os << "}";
}

}  // namespace

std::string to_string(const any& value) {
  std::ostringstream os;
#define XIR_PRINT_CASE(T)                      \
  if (value.type() == typeid(T)) {             \
    print(os, std::any_cast<const T&>(value)); \
    return os.str();                           \
  }
  XIR_ATTR_TYPES(XIR_PRINT_CASE)
#undef XIR_PRINT_CASE
  if (!value.has_value()) return "<empty>";
  return std::string("<") + value.type().name() + ">";
}

bool any_equal(const any& a, const any& b) {
  if (a.type() != b.type()) return false;
#define XIR_EQ_CASE(T) \
  if (a.type() == typeid(T)) return std::any_cast<const T&>(a) == std::any_cast<const T&>(b);
  XIR_ATTR_TYPES(XIR_EQ_CASE)
#undef XIR_EQ_CASE
  return !a.has_value() && !b.has_value();
}

}  // namespace xir
