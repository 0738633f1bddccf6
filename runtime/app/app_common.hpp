// What the VART applications (resnet50, segment) share: finding the DPU subgraph as the Vitis AI
// samples do, opening an image folder or list, and a runner's input/output buffers. XIR/VART API only,
// so that the applications build against Xilinx's libraries too (DPU_RUNTIME=vart).
#pragma once
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "vart/runner.hpp"
#include "vart/runner_ext.hpp"
#include "vart/runner_helper.hpp"
#include "xir/graph/graph.hpp"

namespace dputk::app {

// The one DPU subgraph of a compiled model (an error naming the file when there is none or several).
inline const xir::Subgraph* dpu_subgraph(const xir::Graph& graph, const std::string& path) {
  std::vector<const xir::Subgraph*> dpu;
  for (const xir::Subgraph* s : graph.get_root_subgraph()->children_topological_sort())
    if (s->has_attr("device") && s->get_attr<std::string>("device") == "DPU") dpu.push_back(s);
  if (dpu.size() != 1)
    throw std::runtime_error(path + ": expected exactly 1 DPU subgraph, found " + std::to_string(dpu.size()) +
                             (dpu.empty() ? " (is it compiled? run dpu-compile or vai_c_xir)" : ""));
  return dpu.front();
}

// An image folder, a CIFAR-10 .bin / MNIST idx file, or a list file ("file [class_index]" lines) whose
// images are in the folder named like the list without extension (val_500.txt → val_500/) or beside it.
inline std::unique_ptr<Dataset> open_images(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path list(path);
  if (fs::is_directory(path) || list.extension() != ".txt") return open_dataset(path);
  const fs::path beside = list.parent_path() / list.stem();
  return open_dataset(fs::is_directory(beside) ? beside.string() : list.parent_path().string(), path);
}

// A runner's input and output buffers: its own (RunnerExt) or allocated here.
struct RunnerBuffers {
  std::vector<std::unique_ptr<vart::TensorBuffer>> owned_in, owned_out;
  std::vector<vart::TensorBuffer*> in, out;
  explicit RunnerBuffers(vart::Runner* runner) {
    if (auto* ext = dynamic_cast<vart::RunnerExt*>(runner)) {
      in = ext->get_inputs();
      out = ext->get_outputs();
      return;
    }
    owned_in = vart::alloc_cpu_flat_tensor_buffers(runner->get_input_tensors());
    owned_out = vart::alloc_cpu_flat_tensor_buffers(runner->get_output_tensors());
    for (auto& b : owned_in) in.push_back(b.get());
    for (auto& b : owned_out) out.push_back(b.get());
  }
  // Runs one job: inputs synced for the device, outputs for the host.
  void run(vart::Runner* runner) {
    for (auto* b : in) b->sync_for_write(0, static_cast<std::size_t>(b->get_tensor()->get_data_size()));
    auto job = runner->execute_async(in, out);
    runner->wait(static_cast<int>(job.first), -1);
    for (auto* b : out) b->sync_for_read(0, static_cast<std::size_t>(b->get_tensor()->get_data_size()));
  }
};

}  // namespace dputk::app
