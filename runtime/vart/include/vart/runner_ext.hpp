// vart::RunnerExt — runners that own their input/output buffers (Xilinx's vart/runner_ext.hpp), and
// the fix-point scale helpers.
#pragma once
#include "vart/runner.hpp"

namespace vart {

class RunnerExt : public Runner {
 public:
  static std::unique_ptr<RunnerExt> create_runner(const xir::Subgraph* subgraph, xir::Attrs* attrs);
  ~RunnerExt() override = default;
  virtual std::vector<vart::TensorBuffer*> get_inputs() = 0;
  virtual std::vector<vart::TensorBuffer*> get_outputs() = 0;
};

// 2^fix_point: multiply a float input by it (then round) to get the int8 value.
float get_input_scale(const xir::Tensor* tensor);
std::vector<float> get_input_scale(std::vector<const xir::Tensor*> tensors);
// 2^-fix_point: multiply an int8 output by it to get the float value.
float get_output_scale(const xir::Tensor* tensor);
std::vector<float> get_output_scale(std::vector<const xir::Tensor*> tensors);

}  // namespace vart
