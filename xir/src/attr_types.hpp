// The C++ types an attr value may hold in XIR (the ones the .xmodel format can store), in one list
// so that printing, comparing and (de)serializing all walk the same set.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xir::detail {

template <typename T>
using MapOf = std::map<std::string, T>;
using Bytes = std::vector<char>;

// X(type) for each scalar/vector/map type XIR serializes.
#define XIR_ATTR_TYPES(X)                                                                          \
  X(bool) X(std::int32_t) X(std::uint32_t) X(std::int64_t) X(std::uint64_t) X(float) X(double)     \
  X(std::string) X(xir::detail::Bytes) X(std::vector<bool>) X(std::vector<std::int32_t>)           \
  X(std::vector<std::uint32_t>) X(std::vector<std::int64_t>) X(std::vector<std::uint64_t>)         \
  X(std::vector<float>) X(std::vector<double>) X(std::vector<std::string>)                         \
  X(std::vector<xir::detail::Bytes>) X(xir::detail::MapOf<std::int32_t>)                           \
  X(xir::detail::MapOf<std::uint32_t>) X(xir::detail::MapOf<std::int64_t>)                         \
  X(xir::detail::MapOf<std::uint64_t>) X(xir::detail::MapOf<std::string>)                          \
  X(xir::detail::MapOf<xir::detail::Bytes>) X(xir::detail::MapOf<std::vector<std::int32_t>>)       \
  X(xir::detail::MapOf<std::vector<std::uint32_t>>) X(xir::detail::MapOf<std::vector<std::int64_t>>) \
  X(xir::detail::MapOf<std::vector<std::uint64_t>>) X(xir::detail::MapOf<std::vector<std::string>>)

}  // namespace xir::detail
