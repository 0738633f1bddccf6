#include "dputk/board/vai_version.hpp"

#include <regex>

namespace dputk::board {

std::string vai_release_of_ip(const std::string& ip_version) {
  // DPUCZDX8G IP ↔ Vitis AI ↔ PetaLinux (Vitis AI 3.0 reference/version_compatibility.rst).
  const std::string v = ip_version.rfind('v', 0) == 0 ? ip_version.substr(1) : ip_version;
  if (v.rfind("4.1", 0) == 0) return "3.0";
  if (v.rfind("4.0", 0) == 0) return "2.5";
  if (v.rfind("3.4", 0) == 0) return "2.0";
  if (v.rfind("3.3", 0) == 0) return "1.4";
  return "";
}

std::string version_from_soname(const std::string& file_name) {
  static const std::regex re(R"(\.so\.(\d+(\.\d+)*)$)");
  std::smatch m;
  return std::regex_search(file_name, m, re) ? m[1].str() : "";
}

std::string major_minor(const std::string& version) {
  const auto a = version.find('.');
  if (a == std::string::npos) return version;
  const auto b = version.find('.', a + 1);
  return version.substr(0, b);
}

}  // namespace dputk::board
