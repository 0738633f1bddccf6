#include "dputk/quantizer/quant_info.hpp"

#include <nlohmann/json.hpp>

#include <sstream>
#include <stdexcept>

#include "dputk/common/atomic_file.hpp"

namespace dputk {

QuantInfo quant_info_of(const QuantGraph& qg) {
  QuantInfo info;
  const std::string prefix = qg.graph->get_name() + "::";
  for (const auto& s : qg.slots) {
    const xir::Op* fix = qg.graph->get_op(s.fix_op);
    const int fp = fix->get_attr<std::int32_t>("fix_point");
    if (s.kind == FixSlot::Kind::WEIGHTS || s.kind == FixSlot::Kind::BIAS) info.param[prefix + s.source] = fp;
    else info.output[prefix + s.source] = fp;
  }
  return info;
}

namespace {
void write_section(std::ostringstream& os, const std::string& name, const std::map<std::string, int>& m) {
  os << "  \"" << name << "\":\n  {";
  bool first = true;
  for (const auto& [k, fp] : m) {
    os << (first ? "\n" : ",\n") << "    " << nlohmann::json(k).dump() << ":[[8," << fp << "]]";
    first = false;
  }
  os << (m.empty() ? "" : "\n  ") << "}";
}
}  // namespace

void write_quant_info(const QuantInfo& info, const std::string& path) {
  std::ostringstream os;
  os << "{\n";
  write_section(os, "param", info.param);
  os << ",\n";
  write_section(os, "output", info.output);
  os << ",\n  \"input\":\n  {},\n";
  os << "  \"fast_finetuned\":" << (info.fast_finetuned ? "true" : "false") << ",\n";
  os << "  \"bias_corrected\":" << (info.bias_corrected ? "true" : "false") << ",\n";
  os << "  \"version\":\"dpu-toolkit 0.1.0\"\n}\n";
  write_file_atomic(path, os.str());
}

QuantInfo read_quant_info(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  QuantInfo info;
  auto section = [&](const char* name, std::map<std::string, int>& out) {
    if (!j.contains(name)) return;
    if (!j[name].is_object()) throw std::runtime_error(path + ": '" + name + "' must be an object");
    for (const auto& [k, v] : j[name].items()) {
      if (!v.is_array() || v.empty() || !v[0].is_array() || v[0].size() != 2)
        throw std::runtime_error(path + ": entry '" + k + "' must look like [[bit_width, fix_point]]");
      out[k] = v[0][1].get<int>();
    }
  };
  section("param", info.param);
  section("output", info.output);
  info.fast_finetuned = j.value("fast_finetuned", false);
  info.bias_corrected = j.value("bias_corrected", false);
  return info;
}

}  // namespace dputk
