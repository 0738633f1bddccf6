// dpu-bench: throughput of our engines on a model, for side-by-side runs with ../shared/bench peers.
//   dpu-bench float --model resnet50.onnx --batch 8 --seconds 20 [--threads 2] [--reference]
// Prints `throughput: X images/s` on its own line.
#include <CLI/CLI.hpp>
#include <glog/logging.h>
#include <omp.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <cstdio>
#include <map>
#include <random>

#include "dputk/common/memory.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/onnx/onnx_import.hpp"

namespace {

// Runs `once` (one batch) warmup times, then for at least `seconds`; prints and returns images/s.
double measure(const std::function<void()>& once, const std::string& what, int batch, int threads, double seconds, int warmup) {
  for (int i = 0; i < warmup; ++i) once();
  std::size_t images = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    once();
    images += static_cast<std::size_t>(batch);
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  std::cout << what << ", batch " << batch << ", threads " << threads << ", " << images << " images in " << elapsed << " s\n";
  std::cout << "throughput: " << images / elapsed << " images/s\n";
  return images / elapsed;
}

}  // namespace

// Time per op type over a few runs (the observer sees each op right after it ran).
void print_profile(dputk::engine::DpuExecutor& exec, const dputk::engine::DpuTensor& in) {
  std::map<std::string, double> ms;
  const int runs = 5;
  for (int r = 0; r < runs; ++r) {
    auto last = std::chrono::steady_clock::now();
    exec.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor&) {
      const auto now = std::chrono::steady_clock::now();
      ms[op->get_type()] += std::chrono::duration<double, std::milli>(now - last).count() / runs;
      last = now;
    });
  }
  double total = 0;
  for (const auto& [type, t] : ms) total += t;
  std::printf("  convolutions fused into one exact oneDNN primitive: %d\n", exec.fused_convolutions());
  for (const auto& [type, t] : ms) std::printf("  %-22s %8.2f ms/run (%4.1f%%)\n", type.c_str(), t, 100.0 * t / total);
}

int main(int argc, char** argv) {
  dputk::rerun_with_huge_page_malloc(argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"Throughput benchmark of the dpu-toolkit engines (random inputs)"};
  app.require_subcommand(1);
  std::string model;
  int batch = 1, threads = 2, warmup = 3;
  double seconds = 10;
  bool reference = false;
  auto* fl = app.add_subcommand("float", "Float engine on an ONNX model");
  fl->add_option("--model", model, "ONNX model")->required();
  fl->add_option("--batch", batch)->check(CLI::PositiveNumber);
  fl->add_option("--seconds", seconds);
  fl->add_option("--threads", threads)->check(CLI::PositiveNumber);
  fl->add_option("--warmup", warmup);
  fl->add_flag("--reference", reference, "Reference kernels instead of oneDNN");
  std::string xmodel;
  auto* i8 = app.add_subcommand("int8", "DPU integer engine on a quantized *_int.xmodel (lowered to the fix-op form)");
  i8->add_option("--xmodel", xmodel, "Quantized xmodel (dpu-quantize --quant_mode calib output)")->required();
  i8->add_option("--batch", batch)->check(CLI::PositiveNumber);
  i8->add_option("--seconds", seconds);
  i8->add_option("--threads", threads)->check(CLI::PositiveNumber);
  i8->add_option("--warmup", warmup);
  i8->add_flag("--reference", reference, "Reference loops instead of oneDNN");
  bool profile = false;
  i8->add_flag("--profile", profile, "Also print the time spent per op type");
  CLI11_PARSE(app, argc, argv);
  if (*i8) {
    try {
      omp_set_num_threads(threads);
      auto q = xir::Graph::deserialize(xmodel);
      auto low = dputk::lower_to_fix_form(*q);
      dputk::engine::DpuExecutor exec(*low, {!reference});
      dputk::engine::DpuTensor in;
      in.shape = exec.input_ops()[0]->get_output_tensor()->get_shape();
      in.shape[0] = batch;
      in.data.resize(static_cast<std::size_t>(in.numel()));
      std::mt19937 rng(0);
      for (auto& v : in.data) v = static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128);
      measure([&] { exec.run({&in}); }, "xmodel " + xmodel, batch, threads, seconds, warmup);
      if (profile) print_profile(exec, in);
    } catch (const std::exception& e) {
      std::cerr << "dpu-bench: error: " << e.what() << "\n";
      return 2;
    }
    return 0;
  }
  try {
    omp_set_num_threads(threads);
    dputk::OnnxImportOptions io;
    io.batch = batch;
    auto graph = dputk::import_onnx(model, io);
    dputk::engine::FloatExecutor exec(*graph, {!reference, !reference});
    auto shape = exec.input_ops()[0]->get_output_tensor()->get_shape();
    shape[0] = batch;
    dputk::engine::FloatTensor input(shape);
    std::mt19937 rng(0);
    std::normal_distribution<float> dist;
    for (auto& v : input.data) v = dist(rng);
    measure([&] { exec.run({&input}); }, "model " + model, batch, threads, seconds, warmup);
  } catch (const std::exception& e) {
    std::cerr << "dpu-bench: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
