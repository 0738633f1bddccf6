// Runner factories of the emulation backend and the scale helpers.
#include <cmath>
#include <stdexcept>

#include "emu_runner.hpp"
#include "vart/runner_ext.hpp"

namespace vart {

namespace {

std::unique_ptr<dputk::vart_emu::EmuSubgraphRunner> make(const xir::Subgraph* subgraph, xir::Attrs* attrs, std::string mode) {
  int threads = 0;
  if (attrs) {
    if (attrs->has_attr("mode")) mode = attrs->get_attr<std::string>("mode");
    if (attrs->has_attr("num_threads")) threads = attrs->get_attr<std::int32_t>("num_threads");
  }
  return std::make_unique<dputk::vart_emu::EmuSubgraphRunner>(subgraph, mode, threads);
}

int fix_point_of(const xir::Tensor* t) {
  if (!t->has_attr("fix_point")) throw std::invalid_argument("tensor '" + t->get_name() + "' has no fix_point");
  return t->get_attr<std::int32_t>("fix_point");
}

}  // namespace

std::unique_ptr<Runner> Runner::create_runner(const xir::Subgraph* subgraph, const std::string& mode) { return make(subgraph, nullptr, mode); }
std::unique_ptr<Runner> Runner::create_runner_with_attrs(const xir::Subgraph* subgraph, xir::Attrs* attrs) {
  return make(subgraph, attrs, "");
}
std::unique_ptr<RunnerExt> RunnerExt::create_runner(const xir::Subgraph* subgraph, xir::Attrs* attrs) { return make(subgraph, attrs, ""); }

float get_input_scale(const xir::Tensor* tensor) { return std::ldexp(1.0f, fix_point_of(tensor)); }
float get_output_scale(const xir::Tensor* tensor) { return std::ldexp(1.0f, -fix_point_of(tensor)); }
std::vector<float> get_input_scale(std::vector<const xir::Tensor*> tensors) {
  std::vector<float> out;
  for (const auto* t : tensors) out.push_back(get_input_scale(t));
  return out;
}
std::vector<float> get_output_scale(std::vector<const xir::Tensor*> tensors) {
  std::vector<float> out;
  for (const auto* t : tensors) out.push_back(get_output_scale(t));
  return out;
}

}  // namespace vart
