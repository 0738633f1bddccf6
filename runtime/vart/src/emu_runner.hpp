// Runners of the emulation backend (internal): one per DPU or CPU subgraph, executing it with the
// engine's bit-exact DPU integer kernels (the quantizer's test mode runs the same code).
#pragma once
#include <atomic>
#include <functional>
#include <memory>

#include "dputk/engine/dpu_executor.hpp"
#include "dputk/vart/vart_emu.hpp"
#include "vart/runner_ext.hpp"

namespace dputk::vart_emu {

class EmuSubgraphRunner : public vart::RunnerExt {
 public:
  EmuSubgraphRunner(const xir::Subgraph* subgraph, const std::string& mode, int num_threads);
  ~EmuSubgraphRunner() override;

  std::pair<std::uint32_t, int> execute_async(const std::vector<vart::TensorBuffer*>& input,
                                              const std::vector<vart::TensorBuffer*>& output) override;
  int wait(int jobid, int timeout = -1) override { return 0; }
  std::vector<const xir::Tensor*> get_input_tensors() override { return inputs_; }
  std::vector<const xir::Tensor*> get_output_tensors() override { return outputs_; }
  std::vector<vart::TensorBuffer*> get_inputs() override;
  std::vector<vart::TensorBuffer*> get_outputs() override;

  void set_observer(TensorObserver observer) { observer_ = std::move(observer); }
  const xir::Subgraph* subgraph() const { return subgraph_; }

 private:
  const xir::Subgraph* subgraph_;
  int num_threads_;
  bool counted_ = false;
  std::unique_ptr<engine::DpuExecutor> exec_;
  std::vector<const xir::Tensor*> inputs_, outputs_;
  std::vector<std::unique_ptr<vart::TensorBuffer>> own_inputs_, own_outputs_;
  std::vector<engine::DpuTensor> in_values_;
  TensorObserver observer_;
  std::uint32_t jobs_ = 0;
};

// Finds the buffer for `tensor` among `buffers`: by name, else by position when the counts match.
vart::TensorBuffer* buffer_for(const xir::Tensor* tensor, std::size_t position, const std::vector<vart::TensorBuffer*>& buffers,
                               std::size_t expected_count, const std::string& who);

// Compute threads for a runner: the requested number, or the machine's cores shared by the runners
// alive at the time.
int threads_for(int requested);

}  // namespace dputk::vart_emu
