// The DPU arithmetic against the worked examples of the spec (dpu_quant_semantics.md §1–§3).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "dputk/dpu/dpu_arith.hpp"
#include "dputk/dpu/fix_math.hpp"

#include <vector>

using namespace dputk;
using namespace dputk::dpu;

TEST(Rounding, ModesMatchTheSpecTable) {
  const double v[] = {2.3, 2.5, -2.5, -2.6, -1.5, 0.5};
  const double std_round[] = {2, 3, -3, -3, -2, 1}, dpu_round[] = {2, 3, -2, -3, -1, 1}, py3_round[] = {2, 2, -2, -3, -2, 0};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(round_value(v[i], RoundMode::STD_ROUND), std_round[i]) << v[i];
    EXPECT_EQ(round_value(v[i], RoundMode::DPU_ROUND), dpu_round[i]) << v[i];
    EXPECT_EQ(round_value(v[i], RoundMode::PY3_ROUND), py3_round[i]) << v[i];
  }
}

TEST(FixNeuron, WorkedExamples) {
  const FixSpec dpu{4, 8, true, RoundMode::DPU_ROUND}, std_{4, 8, true, RoundMode::STD_ROUND};
  EXPECT_FLOAT_EQ(fake_quantize(0.53125f, dpu), 0.5625f);
  EXPECT_FLOAT_EQ(fake_quantize(-0.53125f, dpu), -0.5f);
  EXPECT_FLOAT_EQ(fake_quantize(-0.53125f, std_), -0.5625f);
  EXPECT_FLOAT_EQ(fake_quantize(9.0f, dpu), 7.9375f);  // clamps at 127
  std::vector<float> in{0.53125f, -0.53125f, 9.0f, -100.0f}, out(4);
  fake_quantize_array(in.data(), 4, dpu, out.data());
  EXPECT_EQ(out, (std::vector<float>{0.5625f, -0.5f, 7.9375f, -8.0f}));
}

TEST(ConvOutput, WorkedExampleAndLeakyRelu) {
  // x = [12, −7, 33], w = [25, −100, 7], fi = 4, fw = 7, b = −45 (fb = 6), fo = 3 → −1.
  const std::int64_t acc = 12 * 25 + (-7) * (-100) + 33 * 7;
  ASSERT_EQ(acc, 1231);
  dpu::ConvShift s{4 + 7 - 6, 4 + 7 - 3, dpu::Nonlinear::NONE, 3};
  EXPECT_EQ(dpu::conv_output(acc, -45, s), -1);
  // With LeakyReLU and shift_cut 5 (S = −3001 in the spec's example): −3001·26/8192 = −9.52 → −10.
  dpu::ConvShift leaky{0, 5, dpu::Nonlinear::LEAKYRELU, 6};
  EXPECT_EQ(dpu::conv_output(-3001, 0, leaky), -10);
  dpu::ConvShift relu = s;
  relu.nonlinear = dpu::Nonlinear::RELU;
  EXPECT_EQ(dpu::conv_output(acc, -45, relu), 0);
  EXPECT_EQ(dpu::conv_output(1 << 20, 0, {0, 0, dpu::Nonlinear::NONE, 0}), 127);  // saturates
}

// The fused nonlinearities Xilinx's cpu_task computes wrong (its RELU6 ignores the value, its HSIGMOID is
// no activation at all), so the conformance tests cannot hold them against it: here against the spec.
TEST(ConvOutput, FusedRelu6ClampsAt96LsbsAtFixPoint4) {
  // spec §3.1 / risk 3: the reference clamps v to [0, 96] output LSBs, 6.0 at fo = 4.
  const dpu::ConvShift relu6{0, 0, dpu::Nonlinear::RELU6, 4};
  EXPECT_EQ(dpu::conv_output(200, 0, relu6), 96);
  EXPECT_EQ(dpu::conv_output(1 << 20, 0, relu6), 96);  // not the int8 saturation
  EXPECT_EQ(dpu::conv_output(50, 0, relu6), 50);
  EXPECT_EQ(dpu::conv_output(-5, 0, relu6), 0);
  // shift_cut 2: 389 / 4 = 97.25 → clamped; 381 / 4 = 95.25 → 95
  const dpu::ConvShift cut{0, 2, dpu::Nonlinear::RELU6, 4};
  EXPECT_EQ(dpu::conv_output(389, 0, cut), 96);
  EXPECT_EQ(dpu::conv_output(381, 0, cut), 95);
}

TEST(ConvOutput, FusedHardSigmoidWorkedExample) {
  // spec §3.8: fi = 4, fo = 7, x = 16 (1.0): (16·2731 + 3·2731·16) / 2^11 = 85.34 → 85.
  EXPECT_EQ(dpu::shift_hsigmoid_for(4, 7), 11);
  EXPECT_EQ(dpu::hsigmoid_output(16, 4, 11), 85);
  EXPECT_EQ(dpu::hsigmoid_output(-48, 4, 11), 0);    // x = −3.0: relu6(0) = 0
  EXPECT_EQ(dpu::hsigmoid_output(48, 4, 11), 127);   // x = 3.0: 1.00012 saturates (why fo ≥ 7)
  EXPECT_EQ(dpu::hsigmoid_output(-100, 4, 11), 0);
  // fused into a convolution: the conv result is first DPU-rounded to hsigmoid_in (shift_cut 1: 33/2 → 17 at
  // fp 4, i.e. 1.0625), then the hard sigmoid: (17 + 48)·2731 / 2^11 = 86.68 → 87
  dpu::ConvShift s{0, 1, dpu::Nonlinear::HSIGMOID, 7};
  s.hsigmoid_in = 4;
  s.shift_hsigmoid = 11;
  EXPECT_EQ(dpu::conv_output(33, 0, s), 87);
}

TEST(EltwiseAdd, HardwareTruncationExample) {
  // a = −101 (fa = 7), b = 3 (fb = 4), fo = 6: the hardware gives −39 (the float quantizer −38).
  const int fmin = 4;
  const std::int64_t t = dpu::eltwise_term(-101, 7, fmin) + dpu::eltwise_term(3, 4, fmin);
  EXPECT_EQ(t, -39);
  EXPECT_EQ(dpu::eltwise_output(t, fmin, 6, false), -39);
}

TEST(AvgPool, DpuFactorsAndResNet50Example) {
  EXPECT_EQ(dpu::avg_pool_factor(3, 3).n, 7);
  EXPECT_EQ(dpu::avg_pool_factor(3, 3).m, 6);
  EXPECT_EQ(dpu::avg_pool_factor(7, 7).n, 21);
  EXPECT_EQ(dpu::avg_pool_factor(7, 7).m, 10);
  EXPECT_EQ(dpu::avg_pool_factor(14, 14).m, 12);
  EXPECT_EQ(dpu::avg_pool_factor(8, 8).n, 1);
  EXPECT_EQ(dpu::avg_pool_factor(8, 8).m, 6);
  const auto f9 = dpu::avg_pool_factor(9, 9);  // searched: 101 / 2^13
  EXPECT_EQ(f9.n, 101);
  EXPECT_EQ(f9.m, 13);
  // 49 inputs of 10 at fi = 3: fo = 3 → 10, fo = 4 → 20.
  EXPECT_EQ(dpu::avg_pool_output(490, dpu::avg_pool_factor(7, 7), 3, 3), 10);
  EXPECT_EQ(dpu::avg_pool_output(490, dpu::avg_pool_factor(7, 7), 3, 4), 20);
}

TEST(Requantize, ShiftsBothWays) {
  EXPECT_EQ(dpu::requantize(5, 4, 3), 3);    // 2.5 → DPU_ROUND 3
  EXPECT_EQ(dpu::requantize(-5, 4, 3), -2);  // −2.5 → −2
  EXPECT_EQ(dpu::requantize(100, 3, 4), 127);
}

// Every build of the array kernels (baseline, AVX2, AVX-512 — as far as this CPU runs them) against
// the scalar definition: exact halves and their neighbours, infinities, huge and tiny values, and
// lengths that end inside a vector.
class FixNeuronKernels : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { setenv("DPUTK_FIX_MATH_ISA", GetParam(), 1); }
  void TearDown() override { unsetenv("DPUTK_FIX_MATH_ISA"); }
};

TEST_P(FixNeuronKernels, VectorizedArraysEqualScalarIncludingTies) {
  std::vector<float> x;
  for (int k = -3000; k <= 3000; ++k) {
    const float half = k / 32.0f + 1.0f / 64.0f;  // exact halves at fix point 5
    x.push_back(half);
    x.push_back(std::nextafter(half, 1e9f));
    x.push_back(std::nextafter(half, -1e9f));
    x.push_back(k * 0.37f);
  }
  const std::size_t finite = x.size();
  for (float v : {INFINITY, -INFINITY, 3e38f, -3e38f, 1e-30f, -1e-30f, 0.49999997f, -0.49999997f, 0.5f, -0.5f}) x.push_back(v);
  for (RoundMode m : {RoundMode::DPU_ROUND, RoundMode::STD_ROUND, RoundMode::PY3_ROUND})
    for (int fp : {-3, 0, 5, 9})
      for (std::size_t len : {x.size(), std::size_t{4096 + 13}, std::size_t{7}}) {
        const FixSpec f{fp, 8, true, m};
        std::int64_t n = static_cast<std::int64_t>(len);
        std::vector<float> out(len);
        fake_quantize_array(x.data() + x.size() - len, n, f, out.data());
        const float* in = x.data() + x.size() - len;  // ends with the special values
        for (std::size_t i = 0; i < len; ++i) ASSERT_EQ(out[i], fake_quantize(in[i], f)) << "x=" << in[i] << " fp=" << fp;
        std::vector<std::int8_t> q(len);
        quantize_array(in, n, f, q.data());
        for (std::size_t i = 0; i < len; ++i) ASSERT_EQ(q[i], quantize_value(in[i], f)) << "x=" << in[i] << " fp=" << fp;
        // Sums of squared errors for five consecutive fix points, with and without the fused output, on
        // the finite values at the front.
        in = x.data();
        len = std::min(len, finite);
        n = static_cast<std::int64_t>(len);
        double expect[5], sse[5], fused[5];
        for (int k = 0; k < 5; ++k) {
          const FixSpec fk{fp + k, 8, true, m};
          expect[k] = 0.0;
          for (std::size_t i = 0; i < len; ++i) {
            const double d = static_cast<double>(in[i]) - fake_quantize(in[i], fk);
            expect[k] += d * d;
          }
        }
        fake_quant_sse_multi(in, n, f, 5, sse);
        std::vector<float> applied(len);
        const FixSpec apply{fp + 2, 8, true, m};
        fake_quant_sse_multi_apply(in, n, f, 5, fused, apply, applied.data());
        for (int k = 0; k < 5; ++k) {
          EXPECT_NEAR(sse[k], expect[k], 1e-4 * expect[k] + 1e-9) << "k=" << k << " fp=" << fp;
          EXPECT_EQ(fused[k], sse[k]);
        }
        for (std::size_t i = 0; i < len; ++i) ASSERT_EQ(applied[i], fake_quantize(in[i], apply)) << "x=" << in[i];
        const float* tail = x.data() + x.size() - len;
        float lo = 0, hi = 0;
        min_max(tail, n, &lo, &hi);  // the specials and a part of the rest
        EXPECT_EQ(lo, *std::min_element(tail, tail + len));
        EXPECT_EQ(hi, *std::max_element(tail, tail + len));
      }
}

INSTANTIATE_TEST_SUITE_P(Isa, FixNeuronKernels, ::testing::Values("baseline", "avx2", "avx512"));

// upsample-fix (spec §3.6): the interpolated value times 2^(fo - fi), DPU_ROUND (halves up), saturated.
TEST(DpuArith, UpsampleFixRoundsHalvesUpAndSaturates) {
  EXPECT_EQ(dpu::resize_output(5.0, 4, 4), 5);     // nearest: a copy at the same fix point
  EXPECT_EQ(dpu::resize_output(2.5, 4, 4), 3);     // a bilinear half: up
  EXPECT_EQ(dpu::resize_output(-2.5, 4, 4), -2);   // ... also for negatives (floor(x + 0.5))
  EXPECT_EQ(dpu::resize_output(3.0, 4, 3), 2);     // 1.5 → 2
  EXPECT_EQ(dpu::resize_output(-3.0, 4, 3), -1);   // -1.5 → -1
  EXPECT_EQ(dpu::resize_output(100.0, 3, 4), 127); // 200 saturates
  EXPECT_EQ(dpu::resize_output(-100.0, 3, 4), -128);
}
