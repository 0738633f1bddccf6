// Runs one of our command-line programs from build/bin and captures its exit code and output.
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <regex>
#include <string>

#include "test_data.hpp"

namespace dputk::test {

struct CliResult {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// Any command line (stdout and stderr together).
inline CliResult run_command(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  std::array<char, 4096> buf;
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), p)) r.out += buf.data();
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CliResult run_cli(const std::string& tool, const std::string& args) { return run_command(bin_path(tool) + " " + args); }

// dpu-quantize's arguments for an ImageNet model of ../shared/data on val_500 (its list, Inception
// preprocessing); `extra` follows (sizes, --output_dir, ...).
inline std::string val500_args(const std::string& model, const std::string& extra = "") {
  return "--model " + data_path(model) + " --data_dir " + data_path("imagenet/val_500") + " --val_list " +
         data_path("imagenet/val_500.txt") + " --preprocess inception" + (extra.empty() ? "" : " " + extra);
}

// The "Accuracy: xx.xxxx%" figure a run printed, or -1.
inline double accuracy_of(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("Accuracy: ([0-9.]+)%"))) return -1.0;
  return std::stod(m[1]);
}

// The "logit SQNR: xx.xx dB" figure of a --compare_float run, or -1.
inline double logit_sqnr_of(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("logit SQNR: ([0-9.]+) dB"))) return -1.0;
  return std::stod(m[1]);
}

}  // namespace dputk::test
