// dpu-run: runs a compiled xmodel on the emulated DPU, file in / file out (the interface other tools
// use to compare outputs), or benchmarks it.
//   dpu-run XMODEL INDIR OUTDIR [--threads N] [--dump]
//   dpu-run XMODEL --bench SECONDS [--threads N] [--batch B]
// Each graph input tensor T is read from INDIR/<T>.bin (raw NHWC bytes: int8 for XINT8, float32 LE
// for FLOAT32; '/', ':' and '\' in names become '_'); the batch is the file size over one sample's.
#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "dputk/common/atomic_file.hpp"
#include "dputk/common/memory.hpp"
#include "dputk/engine/op_plugins.hpp"
#include "dputk/vart/vart_emu.hpp"
#include "vart/runner_helper.hpp"
#include "vitis/ai/graph_runner.hpp"

namespace {

std::string file_name(const std::string& tensor) {
  std::string s = tensor;
  for (char& c : s)
    if (c == '/' || c == ':' || c == '\\') c = '_';
  return s + ".bin";
}

std::size_t sample_bytes(const xir::Tensor* t) {
  const auto& s = t->get_shape();
  return static_cast<std::size_t>(t->get_data_size()) / static_cast<std::size_t>(s.empty() ? 1 : s[0]);
}

// A host buffer for tensor `t` with batch `batch`.
struct HostBuffer {
  std::unique_ptr<vart::TensorBuffer> buffer;
  const xir::Tensor* tensor() const { return buffer->get_tensor(); }
};

HostBuffer make_buffer(const xir::Tensor* t, int batch) { return {dputk::vart_emu::alloc_batch_buffer(t, batch)}; }

char* bytes_of(vart::TensorBuffer* b) { return reinterpret_cast<char*>(b->data().first); }

int run_files(const xir::Graph& graph, const std::string& indir, const std::string& outdir, int threads, bool dump) {
  auto attrs = xir::Attrs::create();
  if (threads > 0) attrs->set_attr<std::int32_t>("num_threads", threads);
  auto runner = vitis::ai::GraphRunner::create_graph_runner(&graph, attrs.get());
  std::vector<HostBuffer> ins, outs;
  int batch = -1;
  for (const xir::Tensor* t : runner->get_input_tensors()) {
    const std::string path = indir + "/" + file_name(t->get_name());
    const std::string data = dputk::read_file(path);
    const std::size_t one = sample_bytes(t);
    if (data.empty() || data.size() % one != 0)
      throw std::runtime_error(path + ": " + std::to_string(data.size()) + " bytes is not a whole number of " + t->get_data_type().to_string() +
                               " samples of shape " + t->to_string() + " (" + std::to_string(one) + " bytes each)");
    const int nb = static_cast<int>(data.size() / one);
    if (batch >= 0 && nb != batch) throw std::runtime_error(path + ": holds " + std::to_string(nb) + " samples, other inputs " + std::to_string(batch));
    batch = nb;
    ins.push_back(make_buffer(t, nb));
    std::memcpy(bytes_of(ins.back().buffer.get()), data.data(), data.size());
  }
  for (const xir::Tensor* t : runner->get_output_tensors()) outs.push_back(make_buffer(t, batch));
  std::filesystem::create_directories(outdir);
  if (dump)
    dputk::vart_emu::set_tensor_observer(runner.get(), [&](const xir::Tensor* t, const dputk::engine::DpuTensor& v) {
      std::string bytes;
      if (t->get_data_type().type == xir::DataType::FLOAT) {
        std::vector<float> f(v.data.size());
        dputk::engine::dequantize(v, f.data());
        bytes.assign(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(float));
      } else {
        bytes.assign(reinterpret_cast<const char*>(v.data.data()), v.data.size());
      }
      dputk::write_file_atomic(outdir + "/" + file_name(t->get_name()), bytes);
    });
  std::vector<vart::TensorBuffer*> in_ptrs, out_ptrs;
  for (auto& h : ins) in_ptrs.push_back(h.buffer.get());
  for (auto& h : outs) out_ptrs.push_back(h.buffer.get());
  auto job = runner->execute_async(in_ptrs, out_ptrs);
  runner->wait(static_cast<int>(job.first), -1);
  for (auto& h : outs) {
    const std::string path = outdir + "/" + file_name(h.tensor()->get_name());
    dputk::write_file_atomic(path, std::string(bytes_of(h.buffer.get()), static_cast<std::size_t>(h.tensor()->get_data_size())));
    std::cout << "wrote " << path << " (" << h.tensor()->to_string() << ")\n";
  }
  return 0;
}

int bench(const xir::Graph& graph, double seconds, int threads, int batch) {
  const int workers = std::max(1, threads);
  std::atomic<long> images{0};
  std::atomic<bool> stop{false};
  auto work = [&](int id) {
    auto attrs = xir::Attrs::create();
    attrs->set_attr<std::int32_t>("num_threads", workers > 1 ? 1 : 0);
    auto runner = vitis::ai::GraphRunner::create_graph_runner(&graph, attrs.get());
    std::vector<HostBuffer> ins, outs;
    std::mt19937 rng(static_cast<unsigned>(id));
    for (const xir::Tensor* t : runner->get_input_tensors()) {
      ins.push_back(make_buffer(t, batch));
      char* p = bytes_of(ins.back().buffer.get());
      for (std::uint64_t i = 0; i < ins.back().tensor()->get_data_size(); ++i) p[i] = static_cast<char>(rng() % 256);
    }
    for (const xir::Tensor* t : runner->get_output_tensors()) outs.push_back(make_buffer(t, batch));
    std::vector<vart::TensorBuffer*> in_ptrs, out_ptrs;
    for (auto& h : ins) in_ptrs.push_back(h.buffer.get());
    for (auto& h : outs) out_ptrs.push_back(h.buffer.get());
    runner->execute_async(in_ptrs, out_ptrs);  // warm-up (oneDNN primitive creation)
    while (!stop) {
      auto job = runner->execute_async(in_ptrs, out_ptrs);
      runner->wait(static_cast<int>(job.first), -1);
      images += batch;
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < workers; ++i) pool.emplace_back(work, i);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let warm-up finish
  const long start_images = images.load();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const long done = images.load() - start_images;
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stop = true;
  for (auto& t : pool) t.join();
  std::cout << "batch " << batch << ", threads " << workers << ", " << done << " images in " << dt << " s\n";
  std::cout << "throughput: " << done / dt << " images/s\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dputk::rerun_with_huge_page_malloc(argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"Run a compiled xmodel on the emulated DPU (bit-exact DPU integer arithmetic).\n"
               "  dpu-run XMODEL INDIR OUTDIR [--threads N] [--dump]\n"
               "  dpu-run XMODEL --bench SECONDS [--threads N] [--batch B]"};
  std::string xmodel, indir, outdir;
  int threads = 0, batch = 1;
  double bench_seconds = 0;
  bool dump = false;
  app.add_option("xmodel", xmodel, "compiled xmodel (dpu-compile or vai_c_xir)")->required();
  app.add_option("indir", indir, "directory with one <tensor>.bin per graph input");
  app.add_option("outdir", outdir, "directory for one <tensor>.bin per graph output");
  app.add_option("--threads", threads, "compute threads (run) or runner threads (bench)");
  app.add_flag("--dump", dump, "also write every intermediate tensor to OUTDIR");
  app.add_option("--bench", bench_seconds, "benchmark with random inputs for this many seconds");
  app.add_option("--batch", batch, "images per run in --bench")->check(CLI::PositiveNumber);
  std::vector<std::string> plugin_dirs;
  app.add_option("--op-plugin-dir", plugin_dirs, "directory with custom-op plugins libvart_op_imp_<op type>.so (searched before the library path)")
      ->check(CLI::ExistingDirectory);
  CLI11_PARSE(app, argc, argv);
  for (const auto& d : plugin_dirs) dputk::engine::add_op_plugin_dir(d);
  try {
    auto graph = xir::Graph::deserialize(xmodel);
    if (bench_seconds > 0) return bench(*graph, bench_seconds, threads, batch);
    if (indir.empty() || outdir.empty()) throw std::runtime_error("give INDIR and OUTDIR, or --bench SECONDS");
    return run_files(*graph, indir, outdir, threads, dump);
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    std::cerr << "dpu-run: error: " << (msg.find(xmodel) == std::string::npos ? xmodel + ": " : "") << msg << "\n";
    return 1;
  }
}
