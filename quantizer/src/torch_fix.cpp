#include "torch_fix.hpp"

#include <cmath>

namespace dputk::torch_fix {

// Rounding half up as floor(v) + (v − floor(v) >= 0.5), not floor(v + 0.5): in float32, v + 0.5 rounds
// up for v one ulp below a tie (0.49999997 + 0.5 == 1.0f). x·s is exact (s is a power of two), and so
// are floor and the fraction, so this is DPU_ROUND / STD_ROUND exactly, as fix_math.hpp computes them.
const char* source() {
  return "def fix_dpu(self, x: Tensor, s: float) -> Tensor:\n"
         "    v = x * s\n"
         "    f = torch.floor(v)\n"
         "    return torch.clamp(f + (v - f >= 0.5).to(v.dtype), -128.0, 127.0) / s\n\n"
         "def fix_std(self, x: Tensor, s: float) -> Tensor:\n"
         "    v = torch.abs(x * s)\n"
         "    f = torch.floor(v)\n"
         "    return torch.clamp(torch.sign(x) * (f + (v - f >= 0.5).to(v.dtype)), -128.0, 127.0) / s\n\n"
         "def fix_py3(self, x: Tensor, s: float) -> Tensor:\n"
         "    return torch.clamp(torch.round(x * s), -128.0, 127.0) / s\n\n";
}

const char* method(dpu::RoundMode mode) {
  switch (mode) {
    case dpu::RoundMode::DPU_ROUND: return "fix_dpu";
    case dpu::RoundMode::STD_ROUND: return "fix_std";
    default: return "fix_py3";
  }
}

torch::Tensor fix(const torch::Tensor& x, int fp, dpu::RoundMode mode) {
  static torch::jit::Module* module = [] {
    auto* m = new torch::jit::Module("dpu_fix");
    m->define(source());
    return m;
  }();
  torch::NoGradGuard no_grad;
  return module->run_method(method(mode), x, std::ldexp(1.0, fp)).toTensor();
}

}  // namespace dputk::torch_fix
