#include "dputk/compiler/targets.hpp"

#include "dputk/common/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace dputk::compiler {

namespace {

constexpr std::uint64_t kDpuczdx8g = 1;

std::uint64_t fingerprint_of(std::uint64_t isa, std::uint64_t feature) { return kDpuczdx8g << 56 | isa << 48 | feature; }

EngineLimits limits_for(int pixel_parallel, int channel_parallel) {
  EngineLimits l;
  l.pixel_parallel = pixel_parallel;
  l.channel_parallel = channel_parallel;
  return l;
}

std::vector<DpuTarget> build_table() {
  // Peak ops/clock = pixel_parallel · in_cp · out_cp · 2 gives the B-number.
  struct Size {
    const char* name;
    std::uint64_t feature_low;  // low 24 bits of the feature code
    int pp, cp;
  };
  const Size sizes[] = {{"B512", 0x010200, 4, 8},     {"B800", 0x010201, 4, 10},  {"B1024", 0x010402, 8, 8},
                        {"B1152", 0x010203, 4, 12},   {"B1600", 0x010404, 8, 10}, {"B2304", 0x010405, 8, 12},
                        {"B3136", 0x010406, 8, 14},   {"B4096", 0x010407, 8, 16}};
  std::vector<DpuTarget> t;
  for (const auto& [release, high] : {std::pair<const char*, std::uint64_t>{"3.x", 0x56}, {"2.5", 0x16}})
    for (const Size& s : sizes)
      t.push_back({std::string("DPUCZDX8G_ISA1_") + s.name, fingerprint_of(1, high << 24 | s.feature_low), release,
                   limits_for(s.pp, s.cp)});
  // Pre-2.5 ISA0 naming (e.g. older Ultra96/ZCU102 tutorials).
  t.push_back({"DPUCZDX8G_ISA0_B4096_MAX_BG2", 0x01000020F6014407ull, "1.x", limits_for(8, 16)});
  return t;
}

}  // namespace

const std::vector<DpuTarget>& known_targets() {
  static const std::vector<DpuTarget> table = build_table();
  return table;
}

std::string fingerprint_hex(std::uint64_t fingerprint) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(fingerprint));
  return buf;
}

std::string known_targets_text() {
  std::ostringstream s;
  for (const DpuTarget& t : known_targets())
    s << "  " << t.name << "  " << fingerprint_hex(t.fingerprint) << "  (Vitis AI " << t.vitis_ai << ")\n";
  return s.str();
}

const DpuTarget& target_by_name(const std::string& name) {
  for (const DpuTarget& t : known_targets())
    if (t.name == name) return t;
  throw std::runtime_error("unknown DPU target '" + name + "'; known targets:\n" + known_targets_text());
}

const DpuTarget& target_by_fingerprint(std::uint64_t fingerprint) {
  for (const DpuTarget& t : known_targets())
    if (t.fingerprint == fingerprint) return t;
  throw std::runtime_error("unknown DPU fingerprint " + fingerprint_hex(fingerprint) + "; known targets:\n" +
                           known_targets_text());
}

const DpuTarget& load_arch_json(const std::string& path) {
  const std::string text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not valid JSON (" + e.what() + "); expected {\"target\": NAME} or {\"fingerprint\": \"0x...\"}");
  }
  try {
    if (!j.is_object()) throw std::runtime_error("expected a JSON object");
    if (j.contains("target")) {
      if (!j["target"].is_string()) throw std::runtime_error("\"target\" must be a string");
      return target_by_name(j["target"].get<std::string>());
    }
    if (j.contains("fingerprint")) {
      const auto& f = j["fingerprint"];
      std::uint64_t fp = 0;
      if (f.is_number_unsigned()) {
        fp = f.get<std::uint64_t>();
      } else if (f.is_string()) {
        const std::string s = f.get<std::string>();
        std::size_t used = 0;
        try {
          fp = std::stoull(s, &used, 0);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != s.size()) throw std::runtime_error("fingerprint '" + s + "' is not a number");
      } else {
        throw std::runtime_error("\"fingerprint\" must be a string like \"0x101000056010407\"");
      }
      return target_by_fingerprint(fp);
    }
    throw std::runtime_error("has neither \"target\" nor \"fingerprint\"; known targets:\n" + known_targets_text());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace dputk::compiler
