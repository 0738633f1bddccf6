// xir::DataType — element type and bit width, spelled like "XINT8" / "FLOAT32".
#pragma once
#include <cstdint>
#include <string>

namespace xir {

struct DataType {
  enum Type { INT, UINT, XINT, XUINT, FLOAT, BFLOAT, UNKNOWN };

  DataType() = default;
  DataType(Type t, std::int32_t bits) : type(t), bit_width(bits) {}
  // Parses "XINT8", "float32", "INT32" ... ; letters all upper or all lower case, then digits.
  explicit DataType(const std::string& name);

  bool valid() const { return type != UNKNOWN && bit_width > 0; }
  std::string to_string() const;
  bool operator==(const DataType& o) const { return type == o.type && bit_width == o.bit_width; }
  bool operator!=(const DataType& o) const { return !(*this == o); }

  Type type = UNKNOWN;
  std::int32_t bit_width = 0;
};

template <typename T>
DataType create_data_type();
template <> inline DataType create_data_type<float>() { return {DataType::FLOAT, 32}; }
template <> inline DataType create_data_type<double>() { return {DataType::FLOAT, 64}; }
template <> inline DataType create_data_type<std::int8_t>() { return {DataType::XINT, 8}; }
template <> inline DataType create_data_type<std::uint8_t>() { return {DataType::XUINT, 8}; }
template <> inline DataType create_data_type<std::int32_t>() { return {DataType::INT, 32}; }
template <> inline DataType create_data_type<std::int64_t>() { return {DataType::INT, 64}; }

}  // namespace xir
