#include "dputk/board/preflight.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dputk/board/vai_version.hpp"
#include "xir/graph/graph.hpp"

namespace dputk::board {
namespace fs = std::filesystem;
namespace {

std::string hex(std::uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

// A board path under the root directory.
fs::path on_board(const std::string& root, const std::string& path) {
  return fs::path(root) / fs::path(path).relative_path();
}

struct ModelFacts {
  std::vector<std::pair<std::string, std::uint64_t>> dpu;  // DPU subgraph name, fingerprint
  std::size_t without_mc_code = 0;
  std::string compiler;  // "xcompiler 3.5.0", "dpu-toolkit 0.1.0"
  std::string compiler_version;
};

ModelFacts read_model(const std::string& path) {
  auto graph = xir::Graph::deserialize(path);
  ModelFacts f;
  for (const auto* sg : graph->get_root_subgraph()->children_topological_sort()) {
    if (!sg->has_attr("device") || sg->get_attr<std::string>("device") != "DPU") continue;
    const std::uint64_t fp = sg->has_attr("dpu_fingerprint") ? sg->get_attr<std::uint64_t>("dpu_fingerprint") : 0;
    f.dpu.emplace_back(sg->get_name(), fp);
    if (!sg->has_attr("mc_code")) ++f.without_mc_code;
  }
  if (graph->has_attr("libs_info")) {
    for (const auto& [k, v] : graph->get_attr<std::map<std::string, std::string>>("libs_info")) {
      if (k.rfind("xcompiler.", 0) == 0 && k.find(':') == std::string::npos) {
        f.compiler_version = k.substr(10);
        f.compiler = "xcompiler " + f.compiler_version;
      } else if (k == "dpu-toolkit") {
        f.compiler = "dpu-toolkit " + v;
      }
    }
  }
  return f;
}

bool is_xclbin(const fs::path& p, std::string* why) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    *why = "does not exist";
    return false;
  }
  char magic[8] = {};
  in.read(magic, 8);
  if (in.gcount() < 8 || std::string(magic, 7) != "xclbin2") {
    *why = in.gcount() == 0 ? "is empty" : "is not an xclbin (no 'xclbin2' header)";
    return false;
  }
  return true;
}

// xclbins a user is likely to mean: KV260 app firmware and the ZCU102 boot partition.
std::vector<std::string> xclbin_candidates(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const char* dir : {"/lib/firmware/xilinx", "/run/media/mmcblk0p1", "/media/sd-mmcblk0p1", "/boot", "/usr/lib"}) {
    const fs::path d = on_board(root, dir);
    if (!fs::is_directory(d, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(d, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it.depth() > 1) it.disable_recursion_pending();
      std::string why;
      if (it->path().extension() == ".xclbin" && is_xclbin(it->path(), &why))
        out.push_back("/" + fs::relative(it->path(), root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Check check_model(const PreflightOptions& o, ModelFacts* facts) {
  try {
    *facts = read_model(o.xmodel);
  } catch (const std::exception& e) {
    return {Status::FAIL, "xmodel", e.what(), "pass the compiled model (vai_c_xir / dpu-compile output), not the quantizer's *_int.xmodel"};
  }
  if (facts->dpu.empty())
    return {Status::FAIL, "xmodel", o.xmodel + ": no DPU subgraph (a quantized, not yet compiled model?)",
            "compile it: vai_c_xir -x <net>_int.xmodel -a <board>/arch.json -o out -n <net>"};
  std::set<std::uint64_t> fps;
  for (const auto& d : facts->dpu) fps.insert(d.second);
  std::string detail = o.xmodel + ": " + std::to_string(facts->dpu.size()) + " DPU subgraph(s), fingerprint";
  for (auto fp : fps) detail += " " + hex(fp);
  if (!facts->compiler.empty()) detail += ", compiled by " + facts->compiler;
  if (facts->without_mc_code)
    return {Status::FAIL, "xmodel", detail + "; " + std::to_string(facts->without_mc_code) + " DPU subgraph(s) carry no mc_code (an emulation-only compile)",
            "compile for the board with vai_c_xir (dpu-compile --backend vai_c_xir); the builtin compile runs only on the emulator"};
  return {Status::PASS, "xmodel", detail, ""};
}

Check check_fingerprint(const PreflightOptions& o, const ModelFacts& m) {
  if (!o.dpu)
    return {Status::SKIP, "fingerprint", "board DPU unknown (no xdputil output)",
            "run on the board as root with xdputil installed, or pass --dpu-info FILE (saved `xdputil query`) or --fingerprint 0x..."};
  const std::uint64_t board = *o.dpu->fingerprint;
  const std::string what = "board " + hex(board) + (o.dpu->arch.empty() ? "" : " (" + o.dpu->arch + ")") + " from " + o.dpu->source;
  for (const auto& [name, fp] : m.dpu) {
    if (fp != board)
      return {Status::FAIL, "fingerprint",
              "model " + hex(fp) + " (subgraph " + name + ") is not the " + what + " — the runner will stop with 'CHECK fingerprint fail!'",
              "recompile for this board: vai_c_xir (or dpu-compile) -a arch.json with {\"fingerprint\": \"" + hex(board) +
                  "\"}, or use the Vitis AI release that matches the board image"};
  }
  return {Status::PASS, "fingerprint", "model matches " + what, ""};
}

Check check_driver(const PreflightOptions& o) {
  std::error_code ec;
  std::vector<std::string> found;
  const fs::path dri = on_board(o.root, "/dev/dri");
  if (fs::is_directory(dri, ec))
    for (const auto& e : fs::directory_iterator(dri, ec))
      if (e.path().filename().string().rfind("renderD", 0) == 0) found.push_back("/dev/dri/" + e.path().filename().string());
  if (fs::exists(on_board(o.root, "/dev/dpu"), ec)) found.push_back("/dev/dpu");
  const bool zocl = fs::exists(on_board(o.root, "/sys/module/zocl"), ec);
  if (found.empty())
    return {Status::FAIL, "driver", std::string("no DPU device node (/dev/dri/renderD*, /dev/dpu)") + (zocl ? "; zocl is loaded" : "; zocl not loaded"),
            "load the DPU: KV260 `sudo xmutil unloadapp; sudo xmutil loadapp kv260-benchmark-b4096`; ZCU102 boot the DPU SD image "
            "(BOOT.BIN with the DPU bitstream)"};
  std::string d;
  for (const auto& f : found) d += (d.empty() ? "" : ", ") + f;
  return {Status::PASS, "driver", d + (zocl ? " (zocl loaded)" : ""), ""};
}

Check check_xclbin(const PreflightOptions& o) {
  const auto env = o.env_firmware ? o.env_firmware->c_str() : nullptr;
  const XclbinChoice c = vart_xclbin(o.root, env);
  std::string why;
  if (is_xclbin(on_board(o.root, c.path), &why)) return {Status::PASS, "xclbin", c.path + " (from " + c.why + ")", ""};
  std::string fix;
  const auto cands = xclbin_candidates(o.root);
  if (!cands.empty()) {
    fix = "point VART at the loaded design's xclbin: echo 'firmware: " + cands.front() + "' > /etc/vart.conf";
    if (cands.size() > 1) {
      fix += " (found:";
      for (const auto& p : cands) fix += " " + p;
      fix += ")";
    }
  } else {
    fix = "no xclbin on the board: KV260 `xmutil loadapp <app>` installs /lib/firmware/xilinx/<app>/<app>.xclbin; ZCU102 images carry "
          "/run/media/mmcblk0p1/dpu.xclbin; then set 'firmware: <path>' in /etc/vart.conf";
  }
  return {Status::FAIL, "xclbin", c.path + " (from " + c.why + ") " + why, fix};
}

Check check_libraries(const PreflightOptions& o, const ModelFacts& m) {
  // The four Vitis AI runtime libraries, by file name (their SONAME carries the release).
  const std::vector<std::string> libs = {"libxir.so", "libvart-runner.so", "libtarget-factory.so", "libunilog.so"};
  std::map<std::string, std::string> version;
  std::error_code ec;
  for (const char* dir : {"/usr/lib", "/usr/lib64", "/usr/local/lib"}) {
    const fs::path d = on_board(o.root, dir);
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      const std::string n = e.path().filename().string();
      for (const auto& l : libs) {
        if (n.rfind(l + ".", 0) != 0) continue;
        const std::string v = version_from_soname(n);
        if (v.size() > version[l].size()) version[l] = v;  // the most specific name: libxir.so.3.0.0
      }
    }
  }
  std::string missing, found;
  std::set<std::string> releases;
  for (const auto& l : libs) {
    if (version[l].empty()) {
      missing += (missing.empty() ? "" : ", ") + l;
    } else {
      found += (found.empty() ? "" : ", ") + l + "." + version[l];
      releases.insert(major_minor(version[l]));
    }
  }
  if (!missing.empty())
    return {Status::FAIL, "libraries", "missing " + missing + (found.empty() ? "" : " (found " + found + ")"),
            "install the Vitis AI runtime: `dnf install vitis-ai-library` (or board_setup/mpsoc/target_vart_setup.sh)"};
  if (releases.size() > 1)
    return {Status::FAIL, "libraries", "mixed Vitis AI releases: " + found,
            "reinstall the runtime libraries from one release (mixing them fails with errors such as 'bad any_cast')"};
  const std::string rel = *releases.begin();
  std::string notes;
  if (o.dpu && !o.dpu->ip_version.empty()) {
    const std::string want = vai_release_of_ip(o.dpu->ip_version);
    if (!want.empty() && want != rel)
      notes += "; the DPU IP " + o.dpu->ip_version + " belongs to Vitis AI " + want + ", the runtime is " + rel;
  }
  if (!m.compiler_version.empty() && major_minor(m.compiler_version) != rel && !(rel == "3.0" && major_minor(m.compiler_version) == "3.5"))
    notes += "; the model was compiled by Vitis AI " + major_minor(m.compiler_version) + ", the runtime is " + rel;
  if (!notes.empty())
    return {Status::WARN, "libraries", found + notes,
            "use matching releases of the board image, the runtime and the compiler (Vitis AI version_compatibility table)"};
  return {Status::PASS, "libraries", found + " (Vitis AI " + rel + ")", ""};
}

}  // namespace

XclbinChoice vart_xclbin(const std::string& root, const char* env_firmware) {
  if (env_firmware && *env_firmware) return {env_firmware, "XLNX_VART_FIRMWARE"};
  std::ifstream conf(on_board(root, "/etc/vart.conf"));
  std::string line;
  while (std::getline(conf, line)) {
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto trim = [](std::string s) {
      const auto a = s.find_first_not_of(" \t\r");
      const auto b = s.find_last_not_of(" \t\r");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    if (trim(line.substr(0, colon)) == "firmware" && !trim(line.substr(colon + 1)).empty())
      return {trim(line.substr(colon + 1)), "/etc/vart.conf"};
  }
  return {"/usr/lib/dpu.xclbin", "default"};
}

std::vector<Check> run_preflight(const PreflightOptions& o) {
  std::vector<Check> out;
  ModelFacts m;
  out.push_back(check_model(o, &m));
  if (out.back().status == Status::FAIL && m.dpu.empty())
    out.push_back({Status::SKIP, "fingerprint", "no DPU subgraph to compare", ""});
  else
    out.push_back(check_fingerprint(o, m));
  out.push_back(check_driver(o));
  out.push_back(check_xclbin(o));
  out.push_back(check_libraries(o, m));
  return out;
}

const char* status_name(Status s) {
  switch (s) {
    case Status::PASS: return "PASS";
    case Status::WARN: return "WARN";
    case Status::FAIL: return "FAIL";
    case Status::SKIP: return "SKIP";
  }
  return "?";
}

std::string format_check(const Check& c) {
  char name[16];
  std::snprintf(name, sizeof name, "%-11s", c.name.c_str());
  std::string s = std::string("[") + status_name(c.status) + "] " + name + " " + c.detail;
  if (!c.fix.empty()) s += " -- fix: " + c.fix;
  return s;
}

}  // namespace dputk::board
