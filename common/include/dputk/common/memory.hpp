// Process-wide memory policy for the long-running tools.
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace dputk {

// Freed memory stays with the process for reuse instead of going back to the kernel (glibc: no
// mmap'ed blocks, no heap trimming). The quantizer allocates and frees tensors of hundreds of MB
// over and over (fast finetune's per-layer values, libtorch's temporaries); returned to the kernel,
// each reuse page-faults anew, which in virtual machines cost up to 15x the computation (MobileNetV2's
// first layer: 66 s against 3.9 s). Peak RSS is unchanged: it counts what was in use at once.
// No effect on other C libraries.
void keep_freed_memory();

// Gives what the heap holds freed back to the system, between stages of a run whose memory differs
// (before fast finetune, the calibration's freed buffers; after each of its network-loss checks, the
// check's executor): they would otherwise stay resident beside fast finetune's values.
void release_freed_memory();

// The exception to it: `bytes` in pages of their own (anonymous mmap; 2 MB pages where the kernel
// allows), given back to the system when the last owner lets go. For the few very large buffers of a
// run whose sizes keep changing (fast finetune's values of all images): on the heap that keeps what is
// freed they fragmented it (ResNet50, 100 images: 0.3 GB more per stage). Throws std::bad_alloc.
std::shared_ptr<void> own_pages(std::size_t bytes);

// `bytes` in a file of their own: an unlinked temporary file in `dir`, mapped shared, removed with the
// last owner. Values larger than the memory a run may hold (fast finetune's, on many images): the
// process holds only the pages it touched since the last drop_file_pages, the kernel's page cache the
// rest, written out to the disk when memory runs short. Throws std::runtime_error naming dir when the
// file cannot be made or its blocks reserved (a full disk), std::bad_alloc when it cannot be mapped.
std::shared_ptr<void> file_pages(std::size_t bytes, const std::string& dir);

// Lets go of the process's resident pages of every live file_pages mapping; their values stay (read
// back from the page cache or the file on the next access). With `above`, only once the process holds
// more than that many bytes of file pages beyond what it held before its first mapping (Linux: RssFile):
// the pages of values that fit stay, and their next pass does not fault them in again.
void drop_file_pages(std::size_t above = 0);

// The process's resident memory now (Linux: VmRSS of /proc/self/status), in bytes; 0 where unknown.
// For progress lines of long runs.
std::size_t resident_bytes();

// Call first in a tool's main(): runs the program again, once, with glibc's malloc backing its memory
// by transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc >= 2.35; the tunable is read
// only when a program starts, hence the exec). A 100 MB model or tensor then takes 50 page faults
// instead of 25,000, and its accesses fewer TLB misses (the README's quantizer benchmark has the
// measured gain). Returns without exec when GLIBC_TUNABLES already names the tunable (the user's
// choice, or the second run), when the kernel's transparent huge pages are off, or on another C
// library; if the exec fails the program just goes on.
void rerun_with_huge_page_malloc(char** argv);

// Its decision: the GLIBC_TUNABLES value to run again with, given the current one (nullptr: unset) and
// the first line of /sys/kernel/mm/transparent_hugepage/enabled; nullopt: do not run again.
std::optional<std::string> huge_page_tunables(const char* current, const std::string& thp_enabled);

}  // namespace dputk
