// Runs the float form of an XIR graph (imported from ONNX, or the quantizer form with fix ops) on
// batches. One kernel set: reference loops for every op, oneDNN for convolutions (fast = true),
// conv + activation and conv + residual add fused when `fuse` is on.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dputk/engine/float_tensor.hpp"
#include "xir/graph/graph.hpp"

namespace dputk::engine {

// Replaces what a `fix` op computes (calibration decides fix points while the graph runs). Called for
// fix ops on constants once, when the executor is built, and for the others on every run.
using FixHook = std::function<void(const xir::Op* fix_op, const FloatTensor& in, FloatTensor& out)>;

struct FloatExecutorOptions {
  bool fast = true;  // oneDNN convolutions; false = reference kernels only
  bool fuse = true;  // fuse activations / residual adds into convolutions (fast only)
  FixHook fix_hook;  // when set, fix ops call it instead of fake-quantizing with their attrs
  // The fix point of a fix op's latest value (INT_MIN: none yet): the hook's during calibration, else
  // the op's fix_point attribute (dpu::fix_spec_of). Then a convolution that reads a fix op's output and
  // has fix-quantized weights runs as an int8 oneDNN convolution whose sum is exact (fast only; see
  // kernels/fast/dnnl_fixed_conv.hpp).
  std::function<int(const xir::Op* fix_op)> fix_point_of;
};

class FloatExecutor {
 public:
  // Called after each executed step with the op whose value it produced (the last op of a fused
  // chain); the observer may change the values in place.
  using Observer = std::function<void(const xir::Op* op, FloatTensor& value)>;

  explicit FloatExecutor(const xir::Graph& graph, FloatExecutorOptions options = {});
  ~FloatExecutor();
  FloatExecutor(const FloatExecutor&) = delete;
  FloatExecutor& operator=(const FloatExecutor&) = delete;

  // The graph's `data` ops (inputs) and its computed outputs (tail ops), in a stable order.
  const std::vector<const xir::Op*>& input_ops() const;
  const std::vector<const xir::Op*>& output_ops() const;

  // One tensor per input op (NHWC for feature maps; any batch size); returns one per output op.
  std::vector<FloatTensor> run(const std::vector<const FloatTensor*>& inputs, const Observer& observer = nullptr);
  // As run(), with the values of some ops given (on the same images): the steps that compute them, and
  // those only they need, are skipped — the network run from a cut. Ops inside a fused step are not
  // cut at (their values are computed).
  std::vector<FloatTensor> run_from(const std::vector<const FloatTensor*>& inputs, const std::map<const xir::Op*, const FloatTensor*>& known,
                                    const Observer& observer = nullptr);
  // Number of steps after fusion (for reports and tests).
  std::size_t step_count() const;
  // Bytes of the decoded constants it keeps (those its kernels read at run time; for tests).
  std::size_t constant_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dputk::engine
