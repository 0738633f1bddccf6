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

// Images above this many pixels (64 Mpixel, ~200 MB decoded RGB) are refused by the dataset loaders.
constexpr std::uint64_t kMaxImagePixels = std::uint64_t{1} << 26;

}  // namespace dputk
