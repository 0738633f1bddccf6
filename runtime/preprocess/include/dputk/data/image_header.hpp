// The size an image file declares in its header (JPEG SOF segment, PNG IHDR), read before decoding so
// that a tiny file declaring a huge image (a decompression bomb) is refused instead of decoded.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace dputk {

// {width, height} for JPEG and PNG data; nullopt for other formats or when no size is found.
std::optional<std::pair<std::uint32_t, std::uint32_t>> declared_image_size(const std::string& bytes);

// Whether JPEG / PNG data is whole: a JPEG's entropy-coded data ends in its EOI marker, a PNG has its
// IEND chunk. libjpeg decodes a truncated JPEG without an error (it fills the rest with grey and only
// warns), so a cut file would silently count in an accuracy figure. Returns the problem, or "" when
// the data is complete or not JPEG/PNG.
std::string incomplete_image_reason(const std::string& bytes);

// Images above this many pixels (64 Mpixel, ~200 MB decoded RGB) are refused by the dataset loaders.
constexpr std::uint64_t kMaxImagePixels = std::uint64_t{1} << 26;

}  // namespace dputk
