// Runs the compiled fix-op form of a graph (data-fix, const-fix, conv2d-fix, depthwise-conv2d-fix,
// pool-fix, eltwise-fix, concat-fix, reshape-fix, pad-fix, strided_slice-fix, upload/download,
// fix2float) with the DPU's integer semantics (dpu_arith.hpp). The quantizer's test mode and the
// DPU emulator both run graphs through this executor.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dputk/engine/float_tensor.hpp"
#include "xir/graph/graph.hpp"

namespace dputk::engine {

struct DpuTensor {
  std::vector<std::int32_t> shape;
  std::vector<std::int8_t> data;
  int fix_point = 0;
  // FLOAT32 values of the float ops left on the CPU after the DPU (softmax); empty for int8 tensors.
  std::vector<float> real;
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

struct DpuExecutorOptions {
  bool fast = true;  // oneDNN int8 convolutions (exact s32 accumulation); false = reference loops
};

class DpuExecutor {
 public:
  using Observer = std::function<void(const xir::Op* op, const DpuTensor& value)>;

  explicit DpuExecutor(const xir::Graph& graph, DpuExecutorOptions options = {});
  // Only the ops of one subgraph (of a compiled xmodel): its inputs are the values that flow in from
  // other subgraphs (e.g. the USER subgraph's data-fix), its outputs the values that flow out.
  explicit DpuExecutor(const xir::Subgraph& subgraph, DpuExecutorOptions options = {});
  ~DpuExecutor();
  DpuExecutor(const DpuExecutor&) = delete;
  DpuExecutor& operator=(const DpuExecutor&) = delete;

  // data-fix ops (inputs, with their fix points) and the graph outputs (fix2float ops — their values
  // stay int8 here — or tail ops), in a stable order; for a subgraph, the producers of its inputs and
  // its ops whose values flow out.
  const std::vector<const xir::Op*>& input_ops() const;
  const std::vector<const xir::Op*>& output_ops() const;
  int input_fix_point(std::size_t i) const;
  // How many convolutions run as one exact oneDNN primitive each (bias, shift, rounding and
  // saturation inside it; see kernels/fast/dnnl_dpu_conv.hpp); the others use s32 accumulators.
  int fused_convolutions() const;

  std::vector<DpuTensor> run(const std::vector<const DpuTensor*>& inputs, const Observer& observer = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Float → int8 at a fix point with DPU_ROUND (the fix neuron of fix_math.hpp, as the quantizer does
// for the network input).
void quantize_input(const float* in, std::int64_t count, int fix_point, std::int8_t* out);
// The same for a whole tensor: the DPU input for a preprocessed float batch.
DpuTensor quantize_tensor(const FloatTensor& in, int fix_point);
// int8 → float: q · 2^-fix_point (or the float values themselves for a float op's output).
void dequantize(const DpuTensor& t, float* out);

}  // namespace dputk::engine
