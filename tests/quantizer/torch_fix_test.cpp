// The DPU's rounding exists once for C++ (dpu/fix_math.hpp) and once for torch (quantizer/src/torch_fix:
// the TorchScript text that fast finetune runs and <Graph>_int.pt contains). They must agree on every
// value, above all on the .5 ties where the three round modes differ, and at the int8 clamp.
#include <gtest/gtest.h>

#include <cmath>

#include "dputk/dpu/fix_math.hpp"
#include "torch_fix.hpp"

namespace {

using dputk::dpu::RoundMode;

TEST(TorchFix, EqualsTheCppFixNeuronOnTiesAndAtTheClampForAllRoundModes) {
  std::vector<float> xs;
  for (int k = -300; k <= 300; ++k) {
    const float tie = (static_cast<float>(k) + 0.5f) / 16.0f;  // exactly halfway at fix point 4
    xs.insert(xs.end(), {tie, std::nextafter(tie, 1e9f), std::nextafter(tie, -1e9f), static_cast<float>(k) / 16.0f});
  }
  xs.insert(xs.end(), {1e6f, -1e6f, 0.0f, -0.0f, 7.96875f, -8.0f, -8.03125f, 7.9375f});
  const torch::Tensor x = torch::tensor(xs);
  int ties_that_differ = 0;
  for (RoundMode mode : {RoundMode::DPU_ROUND, RoundMode::STD_ROUND, RoundMode::PY3_ROUND})
    for (int fp : {4, 0, -2, 7}) {
      const torch::Tensor y = dputk::torch_fix::fix(x, fp, mode);
      const float* got = y.data_ptr<float>();
      const dputk::dpu::FixSpec spec{fp, 8, true, mode};
      for (std::size_t i = 0; i < xs.size(); ++i)
        ASSERT_EQ(got[i], dputk::dpu::fake_quantize(xs[i], spec))
            << dputk::torch_fix::method(mode) << " fp " << fp << " x " << xs[i];
    }
  // The three modes really differ on these inputs (so agreement above means something).
  for (std::size_t i = 0; i < xs.size(); i += 4) {
    const float a = dputk::dpu::fake_quantize(xs[i], {4, 8, true, RoundMode::DPU_ROUND});
    const float b = dputk::dpu::fake_quantize(xs[i], {4, 8, true, RoundMode::STD_ROUND});
    const float c = dputk::dpu::fake_quantize(xs[i], {4, 8, true, RoundMode::PY3_ROUND});
    ties_that_differ += (a != b) || (b != c);
  }
  EXPECT_GT(ties_that_differ, 150);  // of the 256 ties inside the int8 range
}

}  // namespace
