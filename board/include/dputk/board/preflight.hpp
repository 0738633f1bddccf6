// dpu-preflight: the checks that catch the two most common board failures before a model is run —
// a model compiled for another DPU (fingerprint mismatch) and a missing / misconfigured xclbin — plus
// the DPU driver and the Vitis AI library versions. Every path is looked up under a root directory,
// so tests run the checks against a fake board file tree.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dputk::board {

// What the board says about its DPU (from `xdputil query` JSON or `show_dpu`-style text).
struct DpuInfo {
  std::optional<std::uint64_t> fingerprint;
  std::string arch;        // "DPUCZDX8G_ISA1_B4096"
  std::string ip_version;  // "v4.1.0"
  int cores = 0;
  std::string source;      // where it came from, for messages
};
// "0x101000056010407" → the number; throws naming `origin` for anything else.
std::uint64_t parse_fingerprint(const std::string& hex, const std::string& origin);
// Parses `xdputil query` output (JSON) or any text with "fingerprint = 0x..." lines (show_dpu).
// Throws std::runtime_error naming `origin` when no fingerprint is in the text.
DpuInfo parse_dpu_info(const std::string& text, const std::string& origin);

// VART's xclbin lookup order: $XLNX_VART_FIRMWARE, then "firmware:" in /etc/vart.conf, then
// /usr/lib/dpu.xclbin. Paths are board paths (without the root prefix).
struct XclbinChoice {
  std::string path;
  std::string why;  // "XLNX_VART_FIRMWARE", "/etc/vart.conf", "default"
};
XclbinChoice vart_xclbin(const std::string& root, const char* env_firmware);

enum class Status { PASS, WARN, FAIL, SKIP };
struct Check {
  Status status;
  std::string name;    // "xmodel", "fingerprint", "driver", "xclbin", "libraries"
  std::string detail;  // what was found
  std::string fix;     // how to fix a WARN/FAIL (empty otherwise)
};

struct PreflightOptions {
  std::string xmodel;
  std::string root = "/";                 // the board's file system
  std::optional<DpuInfo> dpu;             // known board DPU (from --fingerprint / --dpu-info / xdputil)
  std::optional<std::string> env_firmware;  // $XLNX_VART_FIRMWARE as the application will see it
};

std::vector<Check> run_preflight(const PreflightOptions& o);
std::string format_check(const Check& c);
const char* status_name(Status s);

}  // namespace dputk::board
