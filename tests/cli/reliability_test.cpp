// Determinism and atomic outputs, through the CLIs on real data:
//  - the same inputs give byte-identical quant_info.json and *_int.xmodel across runs and across
//    thread counts, and byte-identical compiled xmodel, meta.json, md5sum.txt and partition report;
//  - a quantizer killed (SIGKILL) at any moment leaves only whole files under their real names.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/common/memory.hpp"
#include "dputk/quantizer/quant_info.hpp"
#include "xir/graph/graph.hpp"

using dputk::test::data_path;
using dputk::test::run_command;
namespace fs = std::filesystem;

namespace {

std::string calib_args(const std::string& out) {
  return "--model " + data_path("cifar10/resnet20.onnx") + " --data_dir " + data_path("cifar10/test_batch.bin") +
         " --preprocess cifar --batch_size 50 --quant_mode calib --subset_len 200 --output_dir " + out;
}

TEST(Determinism, SameBytesAcrossRunsAndThreadCounts) {
  const std::string root = dputk::test::scratch_dir("determinism");
  const std::string tool = dputk::test::bin_path("dpu-quantize");
  for (const char* run : {"a", "b"})
    ASSERT_EQ(run_command("OMP_NUM_THREADS=2 " + tool + " " + calib_args(root + "/" + run)).code, 0);
  ASSERT_EQ(run_command("OMP_NUM_THREADS=1 " + tool + " " + calib_args(root + "/one_thread")).code, 0);
  for (const char* f : {"quant_info.json", "resnet20_int.xmodel"}) {
    const std::string a = dputk::read_file(root + "/a/" + f);
    EXPECT_EQ(a, dputk::read_file(root + "/b/" + f)) << f << " differs between two runs";
    EXPECT_EQ(a, dputk::read_file(root + "/one_thread/" + f)) << f << " differs between 2 threads and 1";
  }
  const std::string compile = dputk::test::bin_path("dpu-compile") + " -x " + root + "/a/resnet20_int.xmodel -a " +
                              std::string(DPU_SOURCE_DIR) + "/board/kv260/arch.json -n resnet20 --backend builtin -o ";
  for (const char* run : {"c1", "c2"}) ASSERT_EQ(run_command(compile + root + "/" + run).code, 0);
  for (const char* f : {"resnet20.xmodel", "meta.json", "md5sum.txt", "resnet20_partition.txt", "resnet20_partition.json"})
    EXPECT_EQ(dputk::read_file(root + "/c1/" + f), dputk::read_file(root + "/c2/" + f)) << f << " differs between two compiles";
}

// Every file under its real name is whole: quant_info.json parses, the xmodel loads. Temporary files
// (<name>.tmp.<pid>) are the only other thing a kill can leave.
void expect_whole_or_absent(const std::string& dir, double at_ms) {
  if (!fs::exists(dir)) return;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp.") != std::string::npos) continue;
    if (name == "quant_info.json") {
      EXPECT_NO_THROW(dputk::read_quant_info(e.path().string())) << "killed at " << at_ms << " ms: half-written " << name;
    } else if (name == "resnet20_int.xmodel" || name == "resnet20_prepared.xmodel") {
      EXPECT_NO_THROW(xir::Graph::deserialize(e.path().string())) << "killed at " << at_ms << " ms: half-written " << name;
    } else {
      ADD_FAILURE() << "unexpected file " << name;
    }
  }
}

TEST(AtomicOutputs, KilledQuantizerLeavesOnlyWholeFiles) {
  const std::string root = dputk::test::scratch_dir("sigkill");
  const std::string tool = dputk::test::bin_path("dpu-quantize");
  // The output directory appears just before the exports; kill at a range of moments from there on
  // (and once during calibration), so some kills land while quant_info.json / the xmodel are written.
  const std::vector<double> after_ms{-1, 0, 0.2, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 20};
  int killed = 0, partial = 0;
  for (std::size_t i = 0; i < after_ms.size(); ++i) {
    const std::string out = root + "/kill" + std::to_string(i);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const std::string cmd = "exec " + tool + " " + calib_args(out) + " > /dev/null 2>&1";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto start = std::chrono::steady_clock::now();
    if (after_ms[i] < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // during calibration
    } else {
      while (!fs::exists(out) && std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(after_ms[i]));
    }
    killed += ::kill(pid, SIGKILL) == 0;
    int status = 0;
    waitpid(pid, &status, 0);
    const bool whole_run = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!whole_run && fs::exists(out) && !fs::exists(out + "/resnet20_int.xmodel")) ++partial;
    expect_whole_or_absent(out, after_ms[i]);
  }
  EXPECT_GT(killed, 0);
  RecordProperty("killed_before_the_xmodel_was_complete", std::to_string(partial));
}

}  // namespace

// The tools run again once with glibc's huge-page malloc (dputk::rerun_with_huge_page_malloc): the
// tunable is added to the user's, never twice, and not where the kernel has no transparent huge pages.
TEST(HugePageMalloc, TunablesToRunAgainWith) {
  using dputk::huge_page_tunables;
  EXPECT_EQ(huge_page_tunables(nullptr, "always [madvise] never").value_or("-"), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(huge_page_tunables("", "[always] madvise never").value_or("-"), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(huge_page_tunables("glibc.malloc.arena_max=2", "always [madvise] never").value_or("-"),
            "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
  EXPECT_FALSE(huge_page_tunables("glibc.malloc.hugetlb=1", "always [madvise] never"));  // the second run
  EXPECT_FALSE(huge_page_tunables("glibc.malloc.hugetlb=0", "always [madvise] never"));  // the user's choice
  EXPECT_FALSE(huge_page_tunables(nullptr, "always madvise [never]"));
  EXPECT_FALSE(huge_page_tunables(nullptr, ""));  // no /sys/kernel/mm/transparent_hugepage
}

// Values held in a file (dputk::file_pages, fast finetune's --ft_values_dir): the process lets go of
// the pages it wrote (dputk::drop_file_pages; with a budget, only beyond it) and reads the same values
// back; the file leaves with the mapping; a directory that cannot take the file (missing, or too small
// for it) is an error naming it.
TEST(FilePages, DroppedPagesKeepTheirValues) {
  const std::string dir = testing::TempDir() + "/file_pages";
  fs::remove_all(dir);
  fs::create_directories(dir);
  constexpr std::size_t kBytes = std::size_t{64} << 20;
  {
    std::shared_ptr<void> pages = dputk::file_pages(kBytes, dir);
    auto* v = static_cast<std::uint32_t*>(pages.get());
    const std::size_t n = kBytes / sizeof(std::uint32_t);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint32_t>(i * 2654435761u);
    const std::size_t written = dputk::resident_bytes();
    dputk::drop_file_pages(kBytes * 4);  // within that budget: kept
    EXPECT_GT(dputk::resident_bytes() + kBytes / 4, written) << "pages dropped within the budget";
    dputk::drop_file_pages();
    const std::size_t dropped = dputk::resident_bytes();
    std::printf("resident %.1f MB with the values written, %.1f MB after dropping them\n", written / 1e6, dropped / 1e6);
    EXPECT_LT(dropped + kBytes / 2, written) << "the written pages stayed resident";
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += v[i] != static_cast<std::uint32_t>(i * 2654435761u);
    EXPECT_EQ(wrong, 0u);
    EXPECT_TRUE(fs::is_empty(dir)) << "the file is not unlinked";
  }
  try {
    dputk::file_pages(4096, dir + "/missing");
    ADD_FAILURE() << "no error for a missing directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/missing"), std::string::npos) << e.what();
  }
  // More than the disk holds (1 PB): an error now, not SIGBUS at the write that finds the disk full.
  try {
    dputk::file_pages(std::size_t{1} << 50, dir);
    ADD_FAILURE() << "no error for 1 PB of values";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir + ": cannot reserve"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir));
}
