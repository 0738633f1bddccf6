#include <nlohmann/json.hpp>

#include <regex>
#include <stdexcept>

#include "dputk/board/preflight.hpp"

namespace dputk::board {
std::uint64_t parse_fingerprint(const std::string& s, const std::string& origin) {
  try {
    std::size_t used = 0;
    const auto v = std::stoull(s, &used, 16);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(origin + ": fingerprint '" + s + "' is not a hexadecimal number");
}

DpuInfo parse_dpu_info(const std::string& text, const std::string& origin) {
  DpuInfo info;
  info.source = origin;
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("kernels") && j["kernels"].is_array() && !j["kernels"].empty()) {
    // `xdputil query`: one entry per DPU core; the cores of one design share the fingerprint.
    const auto& k = j["kernels"][0];
    if (k.contains("fingerprint") && k["fingerprint"].is_string())
      info.fingerprint = parse_fingerprint(k["fingerprint"].get<std::string>(), origin);
    if (k.contains("DPU Arch") && k["DPU Arch"].is_string()) info.arch = k["DPU Arch"].get<std::string>();
    info.cores = static_cast<int>(j["kernels"].size());
    if (j.contains("DPU IP Spec") && j["DPU IP Spec"].is_object()) {
      const auto& spec = j["DPU IP Spec"];
      if (spec.contains("IP version") && spec["IP version"].is_string()) info.ip_version = spec["IP version"].get<std::string>();
    }
  } else {
    // show_dpu / free text: "fingerprint = 0x101000056010407" (first core).
    std::smatch m;
    static const std::regex fp(R"(fingerprint\"?\s*[=:]\s*\"?(0x[0-9a-fA-F]+))");
    if (std::regex_search(text, m, fp)) info.fingerprint = parse_fingerprint(m[1].str(), origin);
    static const std::regex arch(R"((DPUCZDX8G_ISA\d_B\d+))");
    if (std::regex_search(text, m, arch)) info.arch = m[1].str();
    static const std::regex core(R"(device_core_id\s*=)");
    info.cores = static_cast<int>(std::distance(std::sregex_iterator(text.begin(), text.end(), core), std::sregex_iterator()));
  }
  if (!info.fingerprint)
    throw std::runtime_error(origin + ": no DPU fingerprint found (expected `xdputil query` JSON with kernels[].fingerprint, "
                                      "or text with 'fingerprint = 0x...')");
  return info;
}

}  // namespace dputk::board
