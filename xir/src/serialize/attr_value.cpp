#include "attr_value.hpp"

#include <stdexcept>

#include "../attr_types.hpp"

namespace xir::serial {

using detail::Bytes;
using detail::MapOf;

namespace {

template <typename Vec, typename T>
void fill(Vec* dst, const std::vector<T>& src) {
  for (const auto& v : src) dst->add_value(v);
}
template <typename T, typename Vec>
std::vector<T> read(const Vec& src) {
  return std::vector<T>(src.value().begin(), src.value().end());
}

}  // namespace

void to_proto(const any& v, serial_v2::AttrValue* out, const std::string& what) {
  const auto& t = v.type();
  if (t == typeid(bool)) out->set_bool_value(std::any_cast<bool>(v));
  else if (t == typeid(std::int32_t)) out->set_int32_value(std::any_cast<std::int32_t>(v));
  else if (t == typeid(std::uint32_t)) out->set_uint32_value(std::any_cast<std::uint32_t>(v));
  else if (t == typeid(std::int64_t)) out->set_int64_value(std::any_cast<std::int64_t>(v));
  else if (t == typeid(std::uint64_t)) out->set_uint64_value(std::any_cast<std::uint64_t>(v));
  else if (t == typeid(float)) out->set_float_value(std::any_cast<float>(v));
  else if (t == typeid(double)) out->set_double_value(std::any_cast<double>(v));
  else if (t == typeid(std::string)) out->set_string_value(std::any_cast<const std::string&>(v));
  else if (t == typeid(Bytes)) {
    const auto& b = std::any_cast<const Bytes&>(v);
    out->mutable_bytes_value()->set_value(std::string(b.begin(), b.end()));
  } else if (t == typeid(std::vector<bool>)) {
    for (bool b : std::any_cast<const std::vector<bool>&>(v)) out->mutable_bool_vec_value()->add_value(b);
  } else if (t == typeid(std::vector<std::int32_t>)) fill(out->mutable_int32_vec_value(), std::any_cast<const std::vector<std::int32_t>&>(v));
  else if (t == typeid(std::vector<std::uint32_t>)) fill(out->mutable_uint32_vec_value(), std::any_cast<const std::vector<std::uint32_t>&>(v));
  else if (t == typeid(std::vector<std::int64_t>)) fill(out->mutable_int64_vec_value(), std::any_cast<const std::vector<std::int64_t>&>(v));
  else if (t == typeid(std::vector<std::uint64_t>)) fill(out->mutable_uint64_vec_value(), std::any_cast<const std::vector<std::uint64_t>&>(v));
  else if (t == typeid(std::vector<float>)) fill(out->mutable_float_vec_value(), std::any_cast<const std::vector<float>&>(v));
  else if (t == typeid(std::vector<double>)) fill(out->mutable_double_vec_value(), std::any_cast<const std::vector<double>&>(v));
  else if (t == typeid(std::vector<std::string>)) fill(out->mutable_string_vec_value(), std::any_cast<const std::vector<std::string>&>(v));
  else if (t == typeid(std::vector<Bytes>)) {
    for (const auto& b : std::any_cast<const std::vector<Bytes>&>(v))
      out->mutable_bytes_vec_value()->add_value()->set_value(std::string(b.begin(), b.end()));
  } else if (t == typeid(MapOf<std::int32_t>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::int32_t>&>(v)) (*out->mutable_map_string_2_int32_value()->mutable_value())[k] = x;
  } else if (t == typeid(MapOf<std::uint32_t>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::uint32_t>&>(v)) (*out->mutable_map_string_2_uint32_value()->mutable_value())[k] = x;
  } else if (t == typeid(MapOf<std::int64_t>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::int64_t>&>(v)) (*out->mutable_map_string_2_int64_value()->mutable_value())[k] = x;
  } else if (t == typeid(MapOf<std::uint64_t>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::uint64_t>&>(v)) (*out->mutable_map_string_2_uint64_value()->mutable_value())[k] = x;
  } else if (t == typeid(MapOf<std::string>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::string>&>(v)) (*out->mutable_map_string_2_string_value()->mutable_value())[k] = x;
  } else if (t == typeid(MapOf<Bytes>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<Bytes>&>(v))
      (*out->mutable_map_string_2_bytes_value()->mutable_value())[k].set_value(std::string(x.begin(), x.end()));
  } else if (t == typeid(MapOf<std::vector<std::int32_t>>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::vector<std::int32_t>>&>(v)) fill(&(*out->mutable_map_string_2_int32_vec_value()->mutable_value())[k], x);
  } else if (t == typeid(MapOf<std::vector<std::uint32_t>>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::vector<std::uint32_t>>&>(v)) fill(&(*out->mutable_map_string_2_uint32_vec_value()->mutable_value())[k], x);
  } else if (t == typeid(MapOf<std::vector<std::int64_t>>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::vector<std::int64_t>>&>(v)) fill(&(*out->mutable_map_string_2_int64_vec_value()->mutable_value())[k], x);
  } else if (t == typeid(MapOf<std::vector<std::uint64_t>>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::vector<std::uint64_t>>&>(v)) fill(&(*out->mutable_map_string_2_uint64_vec_value()->mutable_value())[k], x);
  } else if (t == typeid(MapOf<std::vector<std::string>>)) {
    for (const auto& [k, x] : std::any_cast<const MapOf<std::vector<std::string>>&>(v)) fill(&(*out->mutable_map_string_2_string_vec_value()->mutable_value())[k], x);
  } else {
    throw std::invalid_argument(what + ": attr value of C++ type '" + t.name() + "' cannot be stored in an .xmodel");
  }
}

any from_proto(const serial_v2::AttrValue& v, const std::string& what) {
  using A = serial_v2::AttrValue;
  switch (v.value_case()) {
    case A::kBoolValue: return v.bool_value();
    case A::kInt32Value: return v.int32_value();
    case A::kUint32Value: return v.uint32_value();
    case A::kInt64Value: return v.int64_value();
    case A::kUint64Value: return v.uint64_value();
    case A::kFloatValue: return v.float_value();
    case A::kDoubleValue: return v.double_value();
    case A::kStringValue: return v.string_value();
    case A::kBytesValue: return Bytes(v.bytes_value().value().begin(), v.bytes_value().value().end());
    case A::kBoolVecValue: return read<bool>(v.bool_vec_value());
    case A::kInt32VecValue: return read<std::int32_t>(v.int32_vec_value());
    case A::kUint32VecValue: return read<std::uint32_t>(v.uint32_vec_value());
    case A::kInt64VecValue: return read<std::int64_t>(v.int64_vec_value());
    case A::kUint64VecValue: return read<std::uint64_t>(v.uint64_vec_value());
    case A::kFloatVecValue: return read<float>(v.float_vec_value());
    case A::kDoubleVecValue: return read<double>(v.double_vec_value());
    case A::kStringVecValue: return read<std::string>(v.string_vec_value());
    case A::kBytesVecValue: {
      std::vector<Bytes> out;
      for (const auto& b : v.bytes_vec_value().value()) out.emplace_back(b.value().begin(), b.value().end());
      return out;
    }
#define XIR_MAP_CASE(CASE, FIELD, T, CONV)                       \
  case A::CASE: {                                                \
    MapOf<T> out;                                                \
    for (const auto& [k, x] : v.FIELD().value()) out[k] = CONV; \
    return out;                                                  \
  }
    XIR_MAP_CASE(kMapString2Int32Value, map_string_2_int32_value, std::int32_t, x)
    XIR_MAP_CASE(kMapString2Uint32Value, map_string_2_uint32_value, std::uint32_t, x)
    XIR_MAP_CASE(kMapString2Int64Value, map_string_2_int64_value, std::int64_t, x)
    XIR_MAP_CASE(kMapString2Uint64Value, map_string_2_uint64_value, std::uint64_t, x)
    XIR_MAP_CASE(kMapString2StringValue, map_string_2_string_value, std::string, x)
    XIR_MAP_CASE(kMapString2BytesValue, map_string_2_bytes_value, Bytes, Bytes(x.value().begin(), x.value().end()))
    XIR_MAP_CASE(kMapString2Int32VecValue, map_string_2_int32_vec_value, std::vector<std::int32_t>, read<std::int32_t>(x))
    XIR_MAP_CASE(kMapString2Uint32VecValue, map_string_2_uint32_vec_value, std::vector<std::uint32_t>, read<std::uint32_t>(x))
    XIR_MAP_CASE(kMapString2Int64VecValue, map_string_2_int64_vec_value, std::vector<std::int64_t>, read<std::int64_t>(x))
    XIR_MAP_CASE(kMapString2Uint64VecValue, map_string_2_uint64_vec_value, std::vector<std::uint64_t>, read<std::uint64_t>(x))
    XIR_MAP_CASE(kMapString2StringVecValue, map_string_2_string_vec_value, std::vector<std::string>, read<std::string>(x))
#undef XIR_MAP_CASE
    case A::VALUE_NOT_SET:
      break;
  }
  throw std::runtime_error(what + ": attr value has no value set");
}

}  // namespace xir::serial
