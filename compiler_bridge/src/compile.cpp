#include "dputk/compiler/compile.hpp"

#include "backends.hpp"
#include "dputk/common/atomic_file.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace dputk::compiler {

std::string find_vai_c_xir() {
  if (const char* env = std::getenv("VAI_C_XIR"); env && *env) return env;
  const char* path = std::getenv("PATH");
  if (!path) return "";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/vai_c_xir";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string md5_of_file(const std::string& path) {
  const std::string bytes = read_file(path);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_md5(), nullptr)) throw std::runtime_error("md5 of " + path + " failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

CompileResult compile_model(const CompileOptions& o) {
  for (const auto& [flag, value] : {std::pair<const char*, const std::string*>{"-x/--xmodel", &o.xmodel},
                                    {"-a/--arch", &o.arch}, {"-o/--output_dir", &o.output_dir}, {"-n/--net_name", &o.net_name}})
    if (value->empty()) throw std::runtime_error(std::string("missing ") + flag);
  if (o.backend == "builtin") return compile_builtin(o);
  const std::string exe = find_vai_c_xir();
  if (o.backend == "vai_c_xir") {
    if (exe.empty()) throw std::runtime_error("--backend vai_c_xir: vai_c_xir is not installed (not on PATH, VAI_C_XIR unset)");
    return compile_with_vai_c_xir(exe, o);
  }
  if (o.backend != "auto") throw std::runtime_error("unknown --backend '" + o.backend + "' (auto, vai_c_xir, builtin)");
  return exe.empty() ? compile_builtin(o) : compile_with_vai_c_xir(exe, o);
}

}  // namespace dputk::compiler
