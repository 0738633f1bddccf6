// dpu-preflight: run on the board before the application — checks the model's DPU fingerprint against
// the board's DPU, VART's xclbin, the DPU driver and the Vitis AI libraries, one line per check with a fix
// for each failure. Exit 0 when nothing failed.
#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "dputk/common/atomic_file.hpp"
#include "dputk/board/preflight.hpp"

namespace {

// `xdputil query` on the live board, when it is there (needs root for /dev/dpu).
std::optional<std::string> run_xdputil() {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen("xdputil query 2>/dev/null", "r"), pclose);
  if (!p) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
  if (pclose(p.release()) != 0 || out.empty()) return std::nullopt;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"Check a board before running a compiled xmodel on its DPU: fingerprint, xclbin, driver, libraries.\n"
               "Example (on the board): dpu-preflight resnet50.xmodel"};
  dputk::board::PreflightOptions o;
  std::string dpu_info, fingerprint;
  app.add_option("xmodel", o.xmodel, "compiled xmodel (vai_c_xir output)")->required();
  app.add_option("--root", o.root, "the board's file system (default /; a copy or fake tree for tests)");
  app.add_option("--dpu-info", dpu_info, "saved `xdputil query` output (JSON) or show_dpu text, instead of running xdputil");
  app.add_option("--fingerprint", fingerprint, "the board DPU's fingerprint (0x...), instead of running xdputil");
  CLI11_PARSE(app, argc, argv);
  try {
    if (!fingerprint.empty()) {
      o.dpu = dputk::board::DpuInfo{};
      o.dpu->fingerprint = dputk::board::parse_fingerprint(fingerprint, "--fingerprint");
      o.dpu->source = "--fingerprint";
    } else if (!dpu_info.empty()) {
      o.dpu = dputk::board::parse_dpu_info(dputk::read_file(dpu_info), dpu_info);
    } else if (o.root == "/") {
      if (auto q = run_xdputil()) o.dpu = dputk::board::parse_dpu_info(*q, "xdputil query");
    }
    if (const char* env = std::getenv("XLNX_VART_FIRMWARE")) o.env_firmware = env;
    int failed = 0, warned = 0;
    for (const auto& c : dputk::board::run_preflight(o)) {
      std::cout << dputk::board::format_check(c) << "\n";
      failed += c.status == dputk::board::Status::FAIL;
      warned += c.status == dputk::board::Status::WARN;
    }
    std::cout << "preflight: " << (failed ? std::to_string(failed) + " check(s) failed" : "ready") << (warned ? ", " + std::to_string(warned) + " warning(s)" : "")
              << "\n";
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "dpu-preflight: error: " << e.what() << "\n";
    return 2;
  }
}
