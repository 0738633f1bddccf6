// The PetaLinux recipe (petalinux/meta-dpu-toolkit) against the CMake project it builds: its variables
// say what a Vitis AI board build needs, and the files it packages are exactly what `cmake --install`
// puts in the install tree (a file installed but not packaged fails Yocto's installed-vs-shipped QA).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cli_runner.hpp"

namespace dputk::test {
namespace {

const std::string kLayer = std::string(DPU_SOURCE_DIR) + "/petalinux/meta-dpu-toolkit";

// VAR = "value" / VAR ??= "value" assignments of a BitBake file, with line continuations joined.
std::map<std::string, std::string> bitbake_vars(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::map<std::string, std::string> vars;
  std::string line, joined;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\\') {
      joined += line.substr(0, line.size() - 1);
      continue;
    }
    joined += line;
    const auto eq = joined.find('=');
    if (!joined.empty() && joined[0] != '#' && eq != std::string::npos && joined.find('"') > eq) {
      std::string name = joined.substr(0, eq);
      while (!name.empty() && (name.back() == ' ' || name.back() == '?' || name.back() == ':' || name.back() == '+')) name.pop_back();
      const auto a = joined.find('"'), b = joined.rfind('"');
      if (a != std::string::npos && b > a) vars[name] = joined.substr(a + 1, b - a - 1);
    } else if (joined.rfind("inherit ", 0) == 0) {
      vars["inherit"] += joined.substr(8) + " ";
    }
    joined.clear();
  }
  return vars;
}

std::set<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::set<std::string> w;
  for (std::string x; in >> x;) w.insert(x);
  return w;
}

TEST(PetalinuxRecipe, LayerConfigDeclaresTheCollection) {
  auto v = bitbake_vars(kLayer + "/conf/layer.conf");
  EXPECT_EQ(v["BBFILE_COLLECTIONS"], "dpu-toolkit");
  EXPECT_EQ(v["BBFILE_PATTERN_dpu-toolkit"], "^${LAYERDIR}/");
  EXPECT_TRUE(words(v["LAYERSERIES_COMPAT_dpu-toolkit"]).count("honister")) << "PetaLinux 2022.2 is honister";
  EXPECT_NE(v["BBFILES"].find("recipes-*/*/*.bb"), std::string::npos);
}

TEST(PetalinuxRecipe, BuildsTheBoardRuntimeAgainstVitisAi) {
  const std::string bb = kLayer + "/recipes-apps/dpu-toolkit/dpu-toolkit_0.1.0.bb";
  auto v = bitbake_vars(bb);
  EXPECT_FALSE(v["LICENSE"].empty());
  EXPECT_FALSE(v["SUMMARY"].empty());
  EXPECT_TRUE(words(v["inherit"]).count("cmake")) << v["inherit"];
  const auto deps = words(v["DEPENDS"]);
  for (const char* d : {"xir", "vart", "unilog", "target-factory", "glog", "opencv", "zlib", "cli11", "nlohmann-json"})
    EXPECT_TRUE(deps.count(d)) << "DEPENDS lacks " << d;
  const auto cm = words(v["EXTRA_OECMAKE"]);
  EXPECT_TRUE(cm.count("-DDPU_RUNTIME=vart"));
  EXPECT_TRUE(cm.count("-DDPUTK_RUNTIME_ONLY=ON"));
  // The default source directory is this checkout.
  EXPECT_NE(v["DPU_TOOLKIT_SRC"].find("'../../../..'"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(kLayer + "/recipes-apps/dpu-toolkit/../../../../CMakeLists.txt"));

  // Install the CMake project and compare with FILES:${PN}. (dpu-run and the custom-op plugin SDK —
  // headers, pkg-config file, CMake package — are the emulator's; a DPU_RUNTIME=vart build, which the
  // recipe makes, does not build or install them: plugins there build against Xilinx's own headers.)
  const std::string prefix = scratch_dir("petalinux_install");
  auto r = run_command("cmake --install " + std::string(DPU_BUILD_DIR) + " --prefix " + prefix);
  ASSERT_EQ(r.code, 0) << r.out;
  std::set<std::string> packaged;
  for (std::string f : words(v["FILES:${PN}"])) {
    for (auto [var, dir] : std::map<std::string, std::string>{{"${bindir}", "bin"}, {"${datadir}", "share"}})
      if (f.rfind(var, 0) == 0) f = dir + f.substr(var.size());
    EXPECT_TRUE(std::filesystem::exists(prefix + "/" + f)) << f << " is packaged but not installed";
    packaged.insert(f);
  }
  std::size_t installed = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(prefix)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = std::filesystem::relative(e.path(), prefix).string();
    if (rel == "bin/dpu-run" || rel.rfind("include/", 0) == 0 || rel.rfind("lib/pkgconfig/", 0) == 0 || rel.rfind("lib/cmake/", 0) == 0)
      continue;
    ++installed;
    bool covered = false;
    for (const auto& p : packaged) covered |= rel == p || rel.rfind(p + "/", 0) == 0;
    EXPECT_TRUE(covered) << rel << " is installed but not in FILES:${PN}";
  }
  EXPECT_GE(installed, 2u + 2u * 4u);  // resnet50, dpu-preflight, and per board arch.json ×2, vart.conf, README
}

}  // namespace
}  // namespace dputk::test
