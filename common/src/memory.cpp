#include "dputk/common/memory.hpp"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <string>

#include <sys/mman.h>

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

void release_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

std::shared_ptr<void> own_pages(std::size_t bytes) {
  bytes = bytes ? bytes : 1;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);  // fewer page faults; advice only
#endif
  return std::shared_ptr<void>(p, [bytes](void* q) { munmap(q, bytes); });
}

namespace {
std::size_t status_kb(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(status, line))
    if (line.compare(0, n, key) == 0) return static_cast<std::size_t>(std::strtoull(line.c_str() + n, nullptr, 10));
  return 0;
}
}  // namespace

std::size_t resident_bytes() { return status_kb("VmRSS:") * 1024; }

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
