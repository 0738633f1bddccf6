// vart::Runner — VART's runner interface (names and signatures of Xilinx's vart/runner.hpp). Here
// create_runner makes DPU-emulation runners for DPU subgraphs and CPU runners for CPU subgraphs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vart/tensor_buffer.hpp"
#include "xir/attrs/attrs.hpp"
#include "xir/graph/subgraph.hpp"

namespace vart {

template <typename InputType, typename OutputType = InputType>
class BaseRunner {
 public:
  virtual ~BaseRunner() = default;
  virtual std::pair<std::uint32_t, int> execute_async(InputType input, OutputType output) = 0;
  virtual int wait(int jobid, int timeout = -1) = 0;
};

class Runner : public BaseRunner<const std::vector<TensorBuffer*>&> {
 public:
  // mode: "run" (default), "sim" or "ref" — all run the bit-exact emulation here. Throws
  // std::runtime_error naming the subgraph when it has no runner (USER) or holds an op we cannot run.
  static std::unique_ptr<Runner> create_runner(const xir::Subgraph* subgraph, const std::string& mode = "");
  // attrs may carry "mode" (string) and "num_threads" (int32: compute threads for this runner).
  static std::unique_ptr<Runner> create_runner_with_attrs(const xir::Subgraph* subgraph, xir::Attrs* attrs);

  enum class TensorFormat { NHWC = 0, NCHW };

  ~Runner() override = default;
  // Runs the job; the emulator finishes it before returning (wait then returns at once).
  std::pair<std::uint32_t, int> execute_async(const std::vector<TensorBuffer*>& input, const std::vector<TensorBuffer*>& output) override = 0;
  int wait(int jobid, int timeout = -1) override = 0;
  virtual TensorFormat get_tensor_format() { return TensorFormat::NHWC; }
  virtual std::vector<const xir::Tensor*> get_input_tensors() = 0;
  virtual std::vector<const xir::Tensor*> get_output_tensors() = 0;
};

}  // namespace vart
