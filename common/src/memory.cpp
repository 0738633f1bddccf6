#include "dputk/common/memory.hpp"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#include <unistd.h>
#endif

namespace dputk {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

std::optional<std::string> huge_page_tunables(const char* current, const std::string& thp_enabled) {
  static const char kTunable[] = "glibc.malloc.hugetlb";
  if (current && std::strstr(current, kTunable)) return std::nullopt;
  // "always [madvise] never": malloc's madvise is honoured unless THP is "[never]" (or unknown).
  if (thp_enabled.find('[') == std::string::npos || thp_enabled.find("[never]") != std::string::npos) return std::nullopt;
  std::string value = current && *current ? std::string(current) + ":" : std::string();
  return value + kTunable + "=1";
}

void rerun_with_huge_page_malloc(char** argv) {
#if defined(__GLIBC__) && defined(__linux__)
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(thp, modes);
  const auto value = huge_page_tunables(std::getenv("GLIBC_TUNABLES"), modes);
  if (!value || setenv("GLIBC_TUNABLES", value->c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: go on without
#else
  (void)argv;
#endif
}

}  // namespace dputk
