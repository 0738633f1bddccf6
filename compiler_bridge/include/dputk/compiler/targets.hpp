// DPUCZDX8G targets: names, fingerprints, and the engine limits the partitioner checks.
// Fingerprint = type_id<<56 | isa_version<<48 | feature_code (target_factory's formula; DPUCZDX8G = 1).
// Vitis AI 3.x feature codes set bit 30 (save-engine argmax): B4096 is 0x0101000056010407 there and
// 0x0101000016010407 in 2.5, under the same name.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dputk::compiler {

struct EngineLimits {
  int pixel_parallel = 8;
  int channel_parallel = 16;     // input = output channel parallelism of the conv engine
  int bank_depth = 2048;         // conv weight bank depth
  int conv_kernel_max = 16, conv_stride_max = 8;
  int alu_kernel_max = 256, alu_stride_max = 256;  // depthwise conv and pooling
  int alu_pad_lt_max = 15, alu_pad_rb_max = 255;
  bool conv_leaky_relu = true;   // LeakyReLU fused into conv2d
  bool dwconv_leaky_relu = false;
};

struct DpuTarget {
  std::string name;            // e.g. DPUCZDX8G_ISA1_B4096
  std::uint64_t fingerprint;   // e.g. 0x0101000056010407
  std::string vitis_ai;        // release family the fingerprint belongs to: "3.x", "2.5", "1.x"
  EngineLimits limits;
};

// Every DPUCZDX8G configuration we know, 3.x fingerprints first.
const std::vector<DpuTarget>& known_targets();
// One line per target ("NAME  0x...  (Vitis AI 3.x)"), for error messages and --help.
std::string known_targets_text();

// Lookups: by name returns the 3.x fingerprint's entry; by fingerprint any release. Throw
// std::runtime_error listing the known targets when nothing matches.
const DpuTarget& target_by_name(const std::string& name);
const DpuTarget& target_by_fingerprint(std::uint64_t fingerprint);

std::string fingerprint_hex(std::uint64_t fingerprint);  // "0x101000056010407", as xdputil prints

// Reads an arch.json: {"target": NAME} or {"fingerprint": "0x..."} (a number is accepted too).
// Errors name the file and list the known targets.
const DpuTarget& load_arch_json(const std::string& path);

}  // namespace dputk::compiler
