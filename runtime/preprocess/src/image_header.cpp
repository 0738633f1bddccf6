#include "dputk/data/image_header.hpp"

namespace dputk {
namespace {

std::uint32_t be16(const std::string& s, std::size_t i) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i])) << 8 | static_cast<unsigned char>(s[i + 1]);
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> jpeg_size(const std::string& b) {
  std::size_t i = 2;  // after SOI
  while (i + 1 < b.size()) {
    // Like libjpeg, skip garbage before a marker, then any fill bytes.
    while (i < b.size() && static_cast<unsigned char>(b[i]) != 0xFF) ++i;
    while (i < b.size() && static_cast<unsigned char>(b[i]) == 0xFF) ++i;  // fill bytes
    if (i >= b.size()) break;
    const unsigned m = static_cast<unsigned char>(b[i++]);
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // standalone markers
    if (m == 0xD9 || m == 0xDA || i + 2 > b.size()) return std::nullopt;  // end / scan data before any frame header
    const std::size_t len = be16(b, i);
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) {
      if (len < 7 || i + 7 > b.size()) return std::nullopt;
      return std::make_pair(be16(b, i + 5), be16(b, i + 3));  // (width, height) after length and precision
    }
    if (len < 2) return std::nullopt;
    i += len;
  }
  return std::nullopt;
}

// The JPEG's segments, then its scans' entropy-coded data (where 0xFF is followed by 0x00 stuffing
// or an RSTn marker), until EOI. Progressive files have several scans with tables between them.
bool jpeg_has_end(const std::string& b) {
  std::size_t i = 2;
  while (i < b.size()) {
    while (i < b.size() && static_cast<unsigned char>(b[i]) != 0xFF) ++i;
    while (i < b.size() && static_cast<unsigned char>(b[i]) == 0xFF) ++i;
    if (i >= b.size()) return false;
    const unsigned m = static_cast<unsigned char>(b[i++]);
    if (m == 0xD9) return true;
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // stuffing / standalone markers
    if (i + 2 > b.size()) return false;
    const std::size_t len = be16(b, i);
    if (len < 2) return false;
    i += len;  // a segment; after an SOS header the scan data follows, scanned byte by byte above
  }
  return false;
}

}  // namespace

std::string incomplete_image_reason(const std::string& b) {
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8)
    return jpeg_has_end(b) ? "" : "truncated JPEG (the data ends before its end-of-image marker)";
  if (b.size() >= 8 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0)
    return b.find("IEND", b.size() >= 64 ? b.size() - 64 : 0) != std::string::npos ? "" : "truncated PNG (no IEND chunk at its end)";
  return "";
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> declared_image_size(const std::string& b) {
  if (b.size() >= 4 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8) return jpeg_size(b);
  if (b.size() >= 24 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && b.compare(12, 4, "IHDR") == 0) {
    auto be32 = [&](std::size_t i) { return be16(b, i) << 16 | be16(b, i + 2); };
    return std::make_pair(be32(16), be32(20));
  }
  return std::nullopt;
}

}  // namespace dputk
