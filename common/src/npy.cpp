#include "dputk/common/npy.hpp"

#include <cstring>
#include <regex>
#include <stdexcept>

#include "dputk/common/atomic_file.hpp"

namespace dputk {

std::int64_t NpyArray::size() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

NpyArray read_npy(const std::string& path) {
  std::string bytes = read_file(path);
  auto fail = [&](const std::string& why) { throw std::runtime_error(path + ": not a readable .npy file: " + why); };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail("bad magic");
  std::uint8_t major = static_cast<std::uint8_t>(bytes[6]);
  std::size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<std::uint8_t>(bytes[8]) | (static_cast<std::uint8_t>(bytes[9]) << 8);
    offset = 10;
  } else {
    if (bytes.size() < 12) fail("truncated header");
    std::uint32_t n;
    std::memcpy(&n, bytes.data() + 8, 4);
    header_len = n;
    offset = 12;
  }
  if (offset + header_len > bytes.size()) fail("truncated header");
  std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'"))) fail("no descr");
  std::string descr = m[1];
  if (std::regex_search(header, m, std::regex("'fortran_order':\\s*True"))) fail("Fortran order is not supported");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) fail("no shape");
  NpyArray arr;
  std::string dims = m[1];
  std::regex num("\\d+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it)
    arr.shape.push_back(std::stoll(it->str()));
  std::size_t n = static_cast<std::size_t>(arr.size());
  const char* p = bytes.data() + offset + header_len;
  std::size_t avail = bytes.size() - offset - header_len;
  arr.data.resize(n);
  auto need = [&](std::size_t el) {
    if (avail < n * el) fail("data is truncated");
  };
  if (descr == "<f4") {
    need(4);
    std::memcpy(arr.data.data(), p, n * 4);
  } else if (descr == "<f8") {
    need(8);
    for (std::size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, p + 8 * i, 8);
      arr.data[i] = static_cast<float>(v);
    }
  } else if (descr == "<i8") {
    need(8);
    for (std::size_t i = 0; i < n; ++i) {
      std::int64_t v;
      std::memcpy(&v, p + 8 * i, 8);
      arr.data[i] = static_cast<float>(v);
    }
  } else if (descr == "|u1") {
    need(1);
    for (std::size_t i = 0; i < n; ++i) arr.data[i] = static_cast<std::uint8_t>(p[i]);
  } else {
    fail("dtype " + descr + " is not supported");
  }
  return arr;
}

}  // namespace dputk
