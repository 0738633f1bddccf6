#include "dputk/common/memory.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

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
// The live file_pages mappings (address, bytes), for drop_file_pages.
std::mutex file_pages_mutex;
std::set<std::pair<char*, std::size_t>>& file_pages_alive() {
  static std::set<std::pair<char*, std::size_t>> alive;
  return alive;
}
std::size_t file_pages_baseline = 0;  // the process's resident file pages before the first mapping
std::size_t status_kb(const char* key);
}  // namespace

std::shared_ptr<void> file_pages(std::size_t bytes, const std::string& dir) {
  bytes = bytes ? bytes : 1;
  std::string path = (dir.empty() ? std::string(".") : dir) + "/dputk-values-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) throw std::runtime_error(dir + ": cannot create a temporary file for values held on disk (" + std::strerror(errno) + ")");
  unlink(path.c_str());  // the file goes with its last mapping
  // The blocks reserved now: a mapped file without them (sparse) would fail a later write to a full
  // disk with SIGBUS instead of an error here.
  if (const int e = posix_fallocate(fd, 0, static_cast<off_t>(bytes))) {
    close(fd);
    throw std::runtime_error(dir + ": cannot reserve " + std::to_string(bytes) + " bytes for values held on disk (" + std::strerror(e) + ")");
  }
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);  // the mapping keeps the file open
  if (p == MAP_FAILED) throw std::bad_alloc();
  {
    std::lock_guard<std::mutex> lock(file_pages_mutex);
    if (file_pages_alive().empty()) file_pages_baseline = status_kb("RssFile:") * 1024;
    file_pages_alive().emplace(static_cast<char*>(p), bytes);
  }
  return std::shared_ptr<void>(p, [bytes](void* q) {
    {
      std::lock_guard<std::mutex> lock(file_pages_mutex);
      file_pages_alive().erase({static_cast<char*>(q), bytes});
    }
    munmap(q, bytes);
  });
}

void drop_file_pages(std::size_t above) {
  std::lock_guard<std::mutex> lock(file_pages_mutex);
  if (file_pages_alive().empty()) return;
  if (above > 0 && status_kb("RssFile:") * 1024 < file_pages_baseline + above) return;
  // A shared file mapping's pages dropped from the process stay in the file (written pages are kept
  // by the page cache, which the kernel writes out and evicts when memory runs short).
  for (const auto& [p, bytes] : file_pages_alive()) madvise(p, bytes, MADV_DONTNEED);
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
