// The vai_c_xir backend: runs Xilinx's compiler with the same arguments, streams its log, and checks
// what it produced.
#include "backends.hpp"
#include "dputk/compiler/targets.hpp"

#include "xir/graph/graph.hpp"

#include <glog/logging.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>
#include <regex>
#include <stdexcept>

extern char** environ;

namespace dputk::compiler {

namespace {

struct ToolRun {
  int exit_code = -1;
  std::deque<std::string> tail;  // last lines, for error messages
  std::optional<std::pair<int, int>> counts;
};

ToolRun run_streaming(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("cannot create a pipe for " + argv[0]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  ToolRun r;
  static const std::regex summary(R"(Total device subgraph number (\d+), DPU subgraph number (\d+))");
  FILE* in = ::fdopen(fds[0], "r");
  char* line = nullptr;
  std::size_t cap = 0;
  ssize_t n;
  while ((n = ::getline(&line, &cap, in)) > 0) {
    std::string s(line, static_cast<std::size_t>(n));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    LOG(INFO) << "[vai_c_xir] " << s;
    std::smatch m;
    if (std::regex_search(s, m, summary)) r.counts = std::make_pair(std::stoi(m[1]), std::stoi(m[2]));
    r.tail.push_back(s);
    if (r.tail.size() > 20) r.tail.pop_front();
  }
  std::free(line);
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return r;
}

std::string tail_text(const ToolRun& r) {
  std::string s;
  for (const std::string& l : r.tail) s += "\n  " + l;
  return s.empty() ? " (no output)" : s;
}

}  // namespace

CompileResult compile_with_vai_c_xir(const std::string& exe, const CompileOptions& o) {
  // The arch's fingerprint, when our table knows it (vai_c_xir may know targets we do not).
  std::optional<std::uint64_t> expected;
  try {
    expected = load_arch_json(o.arch).fingerprint;
  } catch (const std::exception& e) {
    LOG(WARNING) << "cannot resolve the arch to a fingerprint, so the compiled model's fingerprint is not checked: " << e.what();
  }
  std::vector<std::string> argv{exe, "-x", o.xmodel, "-a", o.arch, "-o", o.output_dir, "-n", o.net_name};
  if (!o.options.empty()) {
    argv.push_back("-e");
    argv.push_back(o.options);
  }
  LOG(INFO) << "running " << exe;
  const ToolRun run = run_streaming(argv);
  if (run.exit_code != 0)
    throw std::runtime_error("vai_c_xir failed (exit code " + std::to_string(run.exit_code) + "); its last output:" + tail_text(run));
  CompileResult r;
  r.backend = "vai_c_xir";
  const std::string dir = std::filesystem::path(o.output_dir).string();
  r.xmodel_path = dir + "/" + o.net_name + ".xmodel";
  r.meta_path = dir + "/meta.json";
  r.md5sum_path = dir + "/md5sum.txt";
  if (!std::filesystem::exists(r.xmodel_path))
    throw std::runtime_error("vai_c_xir exited 0 but wrote no " + r.xmodel_path + "; its last output:" + tail_text(run));
  auto g = xir::Graph::deserialize(r.xmodel_path);
  for (const xir::Subgraph* sg : g->get_root_subgraph()->children_topological_sort()) {
    ++r.device_subgraphs;
    if (!sg->has_attr("device") || sg->get_attr<std::string>("device") != "DPU") continue;
    ++r.dpu_subgraphs;
    if (!sg->has_attr("dpu_fingerprint")) throw std::runtime_error(r.xmodel_path + ": DPU subgraph '" + sg->get_name() + "' has no dpu_fingerprint");
    const auto fp = sg->get_attr<std::uint64_t>("dpu_fingerprint");
    if (expected && fp != *expected)
      throw std::runtime_error(r.xmodel_path + ": DPU subgraph '" + sg->get_name() + "' was compiled for fingerprint " + fingerprint_hex(fp) +
                               " but " + o.arch + " asks for " + fingerprint_hex(*expected));
  }
  if (!run.counts)
    LOG(WARNING) << "vai_c_xir printed no 'Total device subgraph number' line; counted from the xmodel";
  else if (run.counts->first != r.device_subgraphs || run.counts->second != r.dpu_subgraphs)
    throw std::runtime_error("vai_c_xir reported " + std::to_string(run.counts->first) + " device / " + std::to_string(run.counts->second) +
                             " DPU subgraphs but " + r.xmodel_path + " holds " + std::to_string(r.device_subgraphs) + " / " +
                             std::to_string(r.dpu_subgraphs));
  r.md5 = md5_of_file(r.xmodel_path);
  return r;
}

}  // namespace dputk::compiler
