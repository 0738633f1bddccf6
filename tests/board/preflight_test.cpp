// dpu-preflight against fake board trees: a ready board passes; each of the users' common failures
// (fingerprint mismatch, xclbin missing or wrong, no DPU loaded, missing / mixed Vitis AI libraries,
// an emulation-only compile) fails with a line naming the problem and the fix.
#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "dputk/board/preflight.hpp"
#include "dputk/board/vai_version.hpp"
#include "fake_board.hpp"

namespace dputk::test {
namespace {

const std::string kModel = data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel");  // vai_c_xir 3.5, 0x101000056010407

CliResult preflight(const FakeBoard& b, const std::string& extra = "") {
  return run_cli("dpu-preflight", kModel + " --root " + b.root + " --dpu-info " + b.xdputil_json + " " + extra);
}
// The line of one check ("[FAIL] xclbin ...").
std::string line_of(const std::string& out, const std::string& check) {
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (l.size() > 7 && l.compare(7, check.size() + 1, check + " ") == 0) return l;
  return "";
}

TEST(Preflight, ReadyBoardPassesEveryCheck) {
  FakeBoard b(scratch_dir("pf_ready"));
  auto r = preflight(b);
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* c : {"xmodel", "fingerprint", "driver", "xclbin", "libraries"})
    EXPECT_EQ(line_of(r.out, c).substr(0, 6), "[PASS]") << c << "\n" << r.out;
  EXPECT_NE(line_of(r.out, "xmodel").find("0x101000056010407"), std::string::npos);
  EXPECT_NE(line_of(r.out, "xmodel").find("xcompiler 3.5.0"), std::string::npos);
  EXPECT_NE(line_of(r.out, "xclbin").find("from /etc/vart.conf"), std::string::npos);
  EXPECT_NE(r.out.find("preflight: ready"), std::string::npos);
}

TEST(Preflight, FingerprintMismatchSaysHowToRecompile) {
  FakeBoard b(scratch_dir("pf_fp"), "0x101000016010407");  // a Vitis AI 2.5 board image
  auto r = preflight(b);
  EXPECT_EQ(r.code, 1);
  const auto l = line_of(r.out, "fingerprint");
  EXPECT_EQ(l.substr(0, 6), "[FAIL]") << r.out;
  EXPECT_NE(l.find("model 0x101000056010407"), std::string::npos) << l;
  EXPECT_NE(l.find("board 0x101000016010407"), std::string::npos) << l;
  EXPECT_NE(l.find("{\"fingerprint\": \"0x101000016010407\"}"), std::string::npos) << l;
  // --fingerprint takes precedence over the saved xdputil output.
  EXPECT_EQ(line_of(preflight(b, "--fingerprint 0x101000056010407").out, "fingerprint").substr(0, 6), "[PASS]");
}

TEST(Preflight, XclbinLookupFollowsVartOrder) {
  FakeBoard b(scratch_dir("pf_xclbin"));
  b.remove("/etc/vart.conf");  // → /usr/lib/dpu.xclbin, which this KV260 does not have
  auto r = preflight(b);
  EXPECT_EQ(r.code, 1);
  auto l = line_of(r.out, "xclbin");
  EXPECT_EQ(l.substr(0, 6), "[FAIL]");
  EXPECT_NE(l.find("/usr/lib/dpu.xclbin (from default) does not exist"), std::string::npos) << l;
  EXPECT_NE(l.find(std::string("echo 'firmware: ") + FakeBoard::kXclbin + "' > /etc/vart.conf"), std::string::npos) << l;

  // XLNX_VART_FIRMWARE wins over vart.conf and the default.
  r = run_command("XLNX_VART_FIRMWARE=" + std::string(FakeBoard::kXclbin) + " " + bin_path("dpu-preflight") + " " + kModel + " --root " +
                  b.root + " --dpu-info " + b.xdputil_json);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(line_of(r.out, "xclbin").find("(from XLNX_VART_FIRMWARE)"), std::string::npos) << r.out;

  // vart.conf naming a file that is not an xclbin (a bitstream copied by mistake).
  b.write("/etc/vart.conf", "# DPU firmware\nfirmware: /lib/firmware/xilinx/kv260-benchmark-b4096/kv260-benchmark-b4096.bit.bin\n");
  b.write("/lib/firmware/xilinx/kv260-benchmark-b4096/kv260-benchmark-b4096.bit.bin", "bitstream, not an xclbin");
  l = line_of(preflight(b).out, "xclbin");
  EXPECT_NE(l.find("is not an xclbin"), std::string::npos) << l;
}

TEST(Preflight, NoDpuLoadedSaysLoadTheApp) {
  FakeBoard b(scratch_dir("pf_driver"));
  b.remove("/dev/dri/renderD128");
  const auto l = line_of(preflight(b).out, "driver");
  EXPECT_EQ(l.substr(0, 6), "[FAIL]");
  EXPECT_NE(l.find("xmutil loadapp kv260-benchmark-b4096"), std::string::npos) << l;
}

TEST(Preflight, LibrariesMissingOrMixed) {
  FakeBoard b(scratch_dir("pf_libs"));
  b.remove("/usr/lib/libunilog.so.3.0.0");
  b.remove("/usr/lib/libunilog.so.3");
  auto l = line_of(preflight(b).out, "libraries");
  EXPECT_EQ(l.substr(0, 6), "[FAIL]");
  EXPECT_NE(l.find("missing libunilog.so"), std::string::npos) << l;
  EXPECT_NE(l.find("dnf install vitis-ai-library"), std::string::npos) << l;

  b.set_library("libunilog", "3.0.0");
  b.set_library("libvart-runner", "2.5.0");
  l = line_of(preflight(b).out, "libraries");
  EXPECT_EQ(l.substr(0, 6), "[FAIL]");
  EXPECT_NE(l.find("mixed Vitis AI releases"), std::string::npos) << l;

  // One release, but not the DPU IP's (IP v4.1 belongs to Vitis AI 3.0): a warning, not a failure.
  for (const char* lib : {"libxir", "libvart-runner", "libtarget-factory", "libunilog"}) b.set_library(lib, "2.5.0");
  auto r = preflight(b);
  EXPECT_EQ(r.code, 0) << r.out;
  l = line_of(r.out, "libraries");
  EXPECT_EQ(l.substr(0, 6), "[WARN]") << l;
  EXPECT_NE(l.find("IP v4.1.0 belongs to Vitis AI 3.0, the runtime is 2.5"), std::string::npos) << l;
}

TEST(Preflight, EmulationOnlyCompileIsRefusedForTheBoard) {
  const std::string dir = scratch_dir("pf_builtin");
  auto c = run_cli("dpu-compile", "-x " + data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel") + " -a " + std::string(DPU_SOURCE_DIR) +
                                      "/board/kv260/arch.json -o " + dir + "/compiled -n cnn --backend builtin");
  ASSERT_EQ(c.code, 0) << c.out;
  FakeBoard b(dir + "/board");
  auto r = run_cli("dpu-preflight", dir + "/compiled/cnn.xmodel --root " + b.root + " --dpu-info " + b.xdputil_json);
  EXPECT_EQ(r.code, 1);
  const auto l = line_of(r.out, "xmodel");
  EXPECT_NE(l.find("no mc_code"), std::string::npos) << r.out;
  EXPECT_NE(l.find("vai_c_xir"), std::string::npos) << l;
  // The quantizer's model (not compiled) has no DPU subgraph at all.
  r = run_cli("dpu-preflight", data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel") + " --root " + b.root);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(line_of(r.out, "xmodel").find("no DPU subgraph"), std::string::npos) << r.out;
}

TEST(Preflight, BadInputsAreClearErrors) {
  FakeBoard b(scratch_dir("pf_bad"));
  auto r = run_cli("dpu-preflight", kModel + " --root " + b.root + " --dpu-info " + b.root + "/etc/vart.conf");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("vart.conf: no DPU fingerprint found"), std::string::npos) << r.out;
  r = run_cli("dpu-preflight", kModel + " --root " + b.root + " --fingerprint 0xZZ");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("'0xZZ' is not a hexadecimal number"), std::string::npos) << r.out;
  r = run_cli("dpu-preflight", b.root + "/missing.xmodel --root " + b.root + " --dpu-info " + b.xdputil_json);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(line_of(r.out, "xmodel").find("missing.xmodel"), std::string::npos) << r.out;
}

TEST(DpuInfo, ParsesXdputilQueryAndShowDpu) {
  const auto q = board::parse_dpu_info(
      R"({"DPU IP Spec":{"DPU Core Count":3,"IP version":"v4.1.0"},"kernels":[{"DPU Arch":"DPUCZDX8G_ISA1_B4096","fingerprint":"0x101000056010407"},{"DPU Arch":"DPUCZDX8G_ISA1_B4096","fingerprint":"0x101000056010407"},{"DPU Arch":"DPUCZDX8G_ISA1_B4096","fingerprint":"0x101000056010407"}]})",
      "q.json");
  EXPECT_EQ(*q.fingerprint, 0x101000056010407ull);
  EXPECT_EQ(q.arch, "DPUCZDX8G_ISA1_B4096");
  EXPECT_EQ(q.ip_version, "v4.1.0");
  EXPECT_EQ(q.cores, 3);
  const auto s = board::parse_dpu_info(
      "device_core_id=0 device= 0 core = 0 fingerprint = 0x101000016010407 batch = 1 full_cu_name=DPUCZDX8G:DPUCZDX8G_1\n"
      "device_core_id=1 device= 0 core = 1 fingerprint = 0x101000016010407 batch = 1 full_cu_name=DPUCZDX8G:DPUCZDX8G_2\n",
      "show_dpu");
  EXPECT_EQ(*s.fingerprint, 0x101000016010407ull);
  EXPECT_EQ(s.cores, 2);
  EXPECT_EQ(board::vai_release_of_ip("v4.0.0"), "2.5");
  EXPECT_EQ(board::version_from_soname("libvart-runner.so.3.0.0"), "3.0.0");
  EXPECT_EQ(board::version_from_soname("libxir.so"), "");
}

}  // namespace
}  // namespace dputk::test
