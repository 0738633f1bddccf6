// Fast finetune's one-pass loss and gradient (quantizer/src/finetune_loss) against torch computing the same thing
// op by op: mse_loss(fix(act(y)), t) · weight, and its gradient by autograd through the activation
// with fix's gradient passed straight through. On values at and beside the activation's bounds, the
// fix's ties and clamp, for every activation kind and round mode.
#include <gtest/gtest.h>

#include <cmath>

#include "finetune_loss.hpp"
#include "torch_fix.hpp"

namespace {

using dputk::engine::ref::Activation;
using dputk::engine::ref::ActivationParams;

torch::Tensor torch_activation(const ActivationParams& a, const torch::Tensor& y) {
  switch (a.kind) {
    case Activation::RELU: return torch::relu(y);
    case Activation::RELU6: return torch::clamp(y, 0, 6);
    case Activation::CLAMP: return torch::clamp(y, a.lo, a.hi);
    case Activation::LEAKY_RELU: return torch::leaky_relu(y, a.alpha);
    default: return y * 1;
  }
}

// Outputs of a [5, 7, 9, 11] layer: spread over ±12, with 0, the bounds 6, −1.5, 2.25, the fix's
// ties at fix point 4 and the int8 clamp placed in them, and each just either side.
torch::Tensor adversarial_outputs() {
  torch::manual_seed(7);
  torch::Tensor y = torch::randn({5, 7, 9, 11}) * 4;
  float* p = y.data_ptr<float>();
  const std::vector<float> special{0.0f, -0.0f, 6.0f, -1.5f, 2.25f, 0.5f / 16, 2.5f / 16, -3.5f / 16, 7.96875f, 127.5f / 16, -128.5f / 16};
  std::int64_t i = 0;
  for (float v : special)
    for (float x : {v, std::nextafter(v, 1e9f), std::nextafter(v, -1e9f)}) p[i++ * 13] = x;
  return y;
}

TEST(FinetuneLoss, EqualsTorchsLossAndGradientForEveryActivationAndRoundMode) {
  const torch::Tensor y0 = adversarial_outputs();
  const torch::Tensor t = torch::randn(y0.sizes()) * 3;
  std::vector<ActivationParams> acts(5);
  acts[1].kind = Activation::RELU;
  acts[2].kind = Activation::RELU6;
  acts[3].kind = Activation::CLAMP, acts[3].lo = -1.5f, acts[3].hi = 2.25f;
  acts[4].kind = Activation::LEAKY_RELU, acts[4].alpha = 0.1015625f;
  int checked = 0;
  for (const ActivationParams& act : acts)
    for (auto mode : {dputk::dpu::RoundMode::DPU_ROUND, dputk::dpu::RoundMode::STD_ROUND, dputk::dpu::RoundMode::PY3_ROUND})
      for (int fp : {4, 0, -2}) {
        const dputk::dpu::FixSpec fix{fp, 8, true, mode};
        const double weight = 0.375;
        // torch, op by op
        torch::Tensor yr = y0.clone().requires_grad_(true);
        const torch::Tensor a = torch_activation(act, yr);
        const torch::Tensor q = dputk::torch_fix::fix(a.detach(), fp, mode);
        const double want = torch::mse_loss(q.to(torch::kDouble), t.to(torch::kDouble)).item<double>() * weight;
        a.backward((q - t) * static_cast<float>(2.0 * weight / static_cast<double>(y0.numel())));
        // one pass, the gradient written over the sums
        std::vector<float> y(y0.data_ptr<float>(), y0.data_ptr<float>() + y0.numel()), dy(y.size());
        const double sse = dputk::finetune::fixed_output_sse(y.data(), t.data_ptr<float>(), y0.numel(), act, fix, dy.data(),
                                                             2.0 * weight / static_cast<double>(y0.numel()));
        EXPECT_NEAR(sse * weight / static_cast<double>(y0.numel()), want, 1e-12 * std::max(1.0, want)) << "activation " << static_cast<int>(act.kind) << " fp " << fp;
        EXPECT_EQ(dputk::finetune::fixed_output_sse(y.data(), t.data_ptr<float>(), y0.numel(), act, fix, y.data(), 2.0 * weight / static_cast<double>(y0.numel())), sse);
        EXPECT_EQ(y, dy) << "in place";
        const torch::Tensor got = torch::from_blob(dy.data(), y0.sizes(), torch::kFloat32);
        const torch::Tensor diff = (got - yr.grad()).abs();
        const double scale = yr.grad().abs().max().item<double>();
        EXPECT_LE(diff.max().item<double>(), 1e-6 * scale) << "activation " << static_cast<int>(act.kind) << " fp " << fp;
        // the gradient is zero exactly where torch's is (the activation's flat parts, and d = 0)
        EXPECT_TRUE(torch::equal(got == 0, yr.grad() == 0)) << "activation " << static_cast<int>(act.kind) << " fp " << fp;
        ++checked;
      }
  EXPECT_EQ(checked, 45);
}

}  // namespace
