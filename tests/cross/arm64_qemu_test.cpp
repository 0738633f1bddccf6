// The aarch64 cross build (scripts/cross_build.sh, Debian toolchain, DPU_RUNTIME=emu) run under
// qemu-aarch64-static: the resnet50 app classifies all 10000 MNIST test images with Xilinx's compiled
// CNN_kv260.xmodel and writes the same int8 outputs, byte for byte, as the x86 build and the reference;
// xmodel writing and dpu-preflight agree with x86 too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "board/fake_board.hpp"
#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"

namespace dputk::test {
namespace {

const std::string kArm = DPUTK_ARM64_BUILD;
const std::string kModel = data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel");

// An arm64 program under qemu, with the sysroot's libraries (the C/C++ runtime from the cross toolchain).
CliResult run_arm64(const std::string& tool, const std::string& args) {
  const std::string ld = read_file(kArm + "/sysroot/ld_library_path");
  return run_command("LD_LIBRARY_PATH=" + ld.substr(0, ld.find_last_not_of("\n") + 1) + " qemu-aarch64-static -L /usr/aarch64-linux-gnu " +
                     kArm + "/bin/" + tool + " " + args);
}

TEST(Arm64, ProgramsAreAarch64Executables) {
  for (const char* tool : {"resnet50", "dpu-run", "dpu-preflight", "xmodel-tool"}) {
    std::ifstream f(kArm + "/bin/" + tool, std::ios::binary);
    ASSERT_TRUE(f) << kArm << "/bin/" << tool << " missing: run scripts/cross_build.sh";
    unsigned char h[20] = {};
    f.read(reinterpret_cast<char*>(h), sizeof h);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(h) + 1, 3), "ELF") << tool;
    EXPECT_EQ(h[4], 2) << tool << ": not 64-bit";
    EXPECT_EQ(h[18] | (h[19] << 8), 183) << tool << ": e_machine is not EM_AARCH64";
  }
}

TEST(Arm64, MnistAppUnderQemuIsBitExactWithX86AndReference) {
  const std::string dir = scratch_dir("arm64_mnist");
  const std::string images = data_path("mnist/t10k-images-idx3-ubyte.gz");
  auto arm = run_arm64("resnet50", kModel + " " + images + " --preprocess mnist --threads 2 --save-outputs " + dir + "/arm64.bin");
  ASSERT_EQ(arm.code, 0) << arm.out;
  auto x86 = run_cli("resnet50", kModel + " " + images + " --preprocess mnist --threads 2 --save-outputs " + dir + "/x86.bin");
  ASSERT_EQ(x86.code, 0) << x86.out;
  const std::string a = read_file(dir + "/arm64.bin"), x = read_file(dir + "/x86.bin");
  ASSERT_EQ(a.size(), 10000u * 10u);
  EXPECT_TRUE(a == x) << "arm64 and x86 DPU outputs differ";
  EXPECT_TRUE(a == read_file(data_path("xmodels/kv260_mnist_cnn/reference_logits_int8_10000x10.bin")))
      << "arm64 outputs differ from the reference integer implementation";
  EXPECT_NEAR(accuracy_of(arm.out), 99.05, 1e-9) << arm.out;
}

TEST(Arm64, XmodelWritingIsTheSameBytesAsX86) {
  const std::string dir = scratch_dir("arm64_xmodel");
  ASSERT_EQ(run_arm64("xmodel-tool", "roundtrip " + kModel + " " + dir + "/arm64.xmodel").code, 0);
  ASSERT_EQ(run_cli("xmodel-tool", "roundtrip " + kModel + " " + dir + "/x86.xmodel").code, 0);
  const std::string a = read_file(dir + "/arm64.xmodel");
  EXPECT_GT(a.size(), 10000u);
  EXPECT_TRUE(a == read_file(dir + "/x86.xmodel"));
}

TEST(Arm64, PreflightUnderQemuMatchesX86) {
  FakeBoard b(scratch_dir("arm64_preflight"), "0x101000016010407");
  const std::string args = kModel + " --root " + b.root + " --dpu-info " + b.xdputil_json;
  auto arm = run_arm64("dpu-preflight", args);
  auto x86 = run_cli("dpu-preflight", args);
  EXPECT_EQ(arm.code, 1) << arm.out;  // the fingerprint check fails on this 2.5 board
  EXPECT_NE(arm.out.find("[FAIL] fingerprint"), std::string::npos) << arm.out;
  EXPECT_EQ(arm.out, x86.out);
}

}  // namespace
}  // namespace dputk::test
