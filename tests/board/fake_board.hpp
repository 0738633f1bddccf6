// A fake board file tree for dpu-preflight: a KV260 running the Vitis AI 3.0 image with the
// kv260-benchmark-b4096 app loaded, as seen from its root directory. Tests then break one thing at a time.
#pragma once
#include <filesystem>
#include <fstream>
#include <string>

namespace dputk::test {

struct FakeBoard {
  std::string root;
  std::string xdputil_json;  // saved `xdputil query` output
  static constexpr const char* kXclbin = "/lib/firmware/xilinx/kv260-benchmark-b4096/kv260-benchmark-b4096.xclbin";

  explicit FakeBoard(const std::string& dir, const std::string& fingerprint = "0x101000056010407") : root(dir + "/root") {
    namespace fs = std::filesystem;
    fs::remove_all(dir);
    for (const char* d : {"/dev/dri", "/sys/module/zocl", "/etc", "/usr/lib", "/lib/firmware/xilinx/kv260-benchmark-b4096"})
      fs::create_directories(root + d);
    write("/dev/dri/renderD128", "");
    write(kXclbin, std::string("xclbin2\0", 8) + "fake design");
    write("/etc/vart.conf", std::string("firmware: ") + kXclbin + "\n");
    for (const char* l : {"libxir", "libvart-runner", "libtarget-factory", "libunilog"}) set_library(l, "3.0.0");
    xdputil_json = dir + "/xdputil_query.json";
    std::ofstream(xdputil_json) << R"j({"DPU IP Spec":{"DPU Core Count":1,"IP version":"v4.1.0","enable softmax":"False"},)j"
                                << R"j("VAI Version":{"libvart-runner.so":"Xilinx vart Version: 3.0.0"},)j"
                                << R"j("kernels":[{"DPU Arch":"DPUCZDX8G_ISA1_B4096","DPU Frequency (MHz)":300,)j"
                                << R"j("cu_name":"DPUCZDX8G:DPUCZDX8G_1","fingerprint":")j" << fingerprint << R"j(","is_vivado_flow":false}]})j";
  }
  void write(const std::string& board_path, const std::string& bytes) const {
    std::ofstream(root + board_path, std::ios::binary) << bytes;
  }
  void remove(const std::string& board_path) const { std::filesystem::remove(root + board_path); }
  // libX.so.<version> plus its libX.so.<major> link, replacing any other version.
  void set_library(const std::string& lib, const std::string& version) const {
    namespace fs = std::filesystem;
    for (const auto& e : fs::directory_iterator(root + "/usr/lib"))
      if (e.path().filename().string().rfind(lib + ".so", 0) == 0) fs::remove(e.path());
    write("/usr/lib/" + lib + ".so." + version, "");
    fs::create_symlink(lib + ".so." + version, root + "/usr/lib/" + lib + ".so." + version.substr(0, version.find('.')));
  }
};

}  // namespace dputk::test
