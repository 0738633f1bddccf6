// scripts/cross_build.sh --sdk with a stand-in PetaLinux SDK (tests/board/make_fake_sdk.sh): sources the
// SDK's environment script, configures with OE's toolchain file and DPU_RUNTIME=vart against the xir/vart
// CMake packages in the SDK sysroot, and builds only the application and board tools. Here "Xilinx's"
// VART is our own library, so the result also runs.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"

namespace dputk::test {
namespace {

const std::string kSrc = DPU_SOURCE_DIR;

TEST(SdkBuild, PetalinuxSdkBuildsTheVartApplication) {
  const std::string dir = scratch_dir("sdk_build");
  auto r = run_command("bash " + kSrc + "/tests/board/make_fake_sdk.sh " + dir + "/sdk " + kSrc + " " + DPU_BUILD_DIR);
  ASSERT_EQ(r.code, 0) << r.out;
  r = run_command("bash " + kSrc + "/scripts/cross_build.sh --sdk " + dir + "/sdk --build-dir " + dir + "/build");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("DPU_RUNTIME=vart"), std::string::npos) << r.out;
  namespace fs = std::filesystem;
  for (const char* f : {"bin/resnet50", "bin/dpu-preflight", "install/bin/resnet50", "install/bin/dpu-preflight",
                        "install/share/dpu-toolkit/board/kv260/vart.conf"})
    EXPECT_TRUE(fs::exists(dir + "/build/" + f)) << f;
  // The board build has neither our emulator's tool nor our XIR library.
  EXPECT_FALSE(fs::exists(dir + "/build/bin/dpu-run"));
  EXPECT_FALSE(fs::exists(dir + "/build/xir"));
  r = run_command(dir + "/build/bin/resnet50 " + data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel") + " " +
                  data_path("mnist/t10k-images-idx3-ubyte.gz") + " --preprocess mnist --limit 1000");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NEAR(accuracy_of(r.out), 99.1, 1e-9) << r.out;
}

TEST(SdkBuild, ClearErrorsForABadSdk) {
  const std::string dir = scratch_dir("sdk_bad");
  auto r = run_command("bash " + kSrc + "/scripts/cross_build.sh --sdk " + dir + "/nowhere");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("nowhere: no such directory"), std::string::npos) << r.out;
  r = run_command("bash " + kSrc + "/scripts/cross_build.sh --sdk " + dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("no environment-setup-* script"), std::string::npos) << r.out;
  // An SDK whose sysroot lacks the Vitis AI tarball (Vitis-AI#424: xir/... No such file).
  ASSERT_EQ(run_command("bash " + kSrc + "/tests/board/make_fake_sdk.sh " + dir + "/sdk " + kSrc + " " + DPU_BUILD_DIR).code, 0);
  std::filesystem::remove_all(dir + "/sdk/sysroots/cortexa72-cortexa53-xilinx-linux/usr/include/vart");
  r = run_command("bash " + kSrc + "/scripts/cross_build.sh --sdk " + dir + "/sdk --build-dir " + dir + "/b");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("has no VART headers: untar vitis_ai_2022.2-r3.0.0.tar.gz"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace dputk::test
