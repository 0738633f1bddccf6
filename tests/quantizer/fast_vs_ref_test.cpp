// The fast DPU integer path (oneDNN s8 convolutions, vectorized requantization and eltwise) is
// bit-equal to the reference loops on every tensor of a quantized real model.
#include <gtest/gtest.h>

#include "dputk/data/batch.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/engine/dpu_fast_kernels.hpp"
#include "dputk/engine/dpu_ref_kernels.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "fix_graph_builder.hpp"
#include "test_data.hpp"

#include <algorithm>
#include <random>
#include <cmath>

using dputk::test::data_path;

TEST(DpuExecutor, FastEqualsReferenceOnEveryTensorOfQuantizedResNet20) {
  auto prepared = dputk::load_prepared_model(data_path("cifar10/resnet20.onnx"), {});
  auto data = dputk::open_dataset(data_path("cifar10/test_batch.bin"));
  auto pre = dputk::Preprocess::preset("cifar");
  std::vector<std::size_t> calib;
  for (std::size_t i = 0; i < 64; ++i) calib.push_back(i * 150);
  auto qg = dputk::calibrate_model(*prepared, *data, calib, pre, 32, {});
  auto low = dputk::lower_to_fix_form(*qg.graph);
  dputk::engine::DpuExecutor fast(*low, {true}), ref(*low, {false});
  auto b = dputk::make_batch(*data, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, pre);
  const auto in = dputk::engine::quantize_tensor(b.input, fast.input_fix_point(0));
  std::map<std::string, std::vector<std::int8_t>> fast_values;
  fast.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) { fast_values[op->get_name()] = v.data; });
  std::size_t compared = 0;
  ref.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) {
    ASSERT_EQ(fast_values.at(op->get_name()), v.data) << op->get_type() << " " << op->get_name();
    ++compared;
  });
  EXPECT_GT(compared, 30u);
}

// The fused oneDNN convolution (int8 × s8 → s8 with the DPU's rounding folded in) on layers chosen to
// stress it: every shift from 1 to 14, fractional and large biases, ties everywhere (small weights),
// saturation (large weights), depthwise and strided, with and without ReLU, and signed inputs against
// 512 channels of large positive weights (oneDNN's s8 compensation beyond f32 precision) — equal to
// the reference on every tensor.
TEST(DpuExecutor, FusedConvolutionEqualsReferenceOnAdversarialLayers) {
  int fused = 0, cases = 0;
  for (int s = 1; s <= 14; ++s)
    for (int variant = 0; variant < 5; ++variant) {
      using B = dputk::test::FixGraphBuilder;
      B b("adversarial", static_cast<unsigned>(s * 10 + variant));
      const bool signed_input = variant == 4;
      const int channels = signed_input ? 512 : 16, size = signed_input ? 5 : 9;
      B::Conv first;  // 1×1 + ReLU: a non-negative input for the layer under test
      first.k = 1;
      first.pad = 0;
      first.out_channels = 16;
      first.fo = 2;
      B::Conv c;
      c.depthwise = variant == 1;
      c.k = variant == 2 ? 1 : 3;
      c.pad = c.k / 2;
      c.stride = variant == 3 ? 2 : 1;
      c.nonlinear = variant % 2 ? "NONE" : "RELU";
      c.out_channels = 24;
      c.fw = 7;
      c.fo = first.fo + c.fw - s;                       // shift_cut = s
      c.fb = first.fo + c.fw - (variant == 0 ? -1 : 3);  // shift_bias −1 (half-LSB bias) or 3
      if (variant == 3) c.wlo = -127, c.whi = 127;       // large accumulators: saturation
      if (variant == 2) c.wlo = -2, c.whi = 2;           // small accumulators: many exact ties
      if (signed_input) c.wlo = 100, c.whi = 127;        // Σw ≈ 5·10^5: 128·Σw > 2^24
      xir::Op* x = b.data("input", {2, size, size, channels}, signed_input ? first.fo : 0);
      b.fix2float("output", b.conv("tested", signed_input ? x : b.conv("first", x, first), c));
      auto g = b.take();
      dputk::engine::DpuExecutor fast(*g, {true}), ref(*g, {false});
      fused += fast.fused_convolutions();
      dputk::engine::DpuTensor in;
      in.shape = {2, size, size, channels};
      in.fix_point = 0;
      std::mt19937 rng(static_cast<unsigned>(s));
      const int span = signed_input ? 5 : 256;  // signed case: small ±2 inputs keep sums unsaturated
      for (int i = 0; i < 2 * size * size * channels; ++i)
        in.data.push_back(static_cast<std::int8_t>(static_cast<int>(rng() % span) - span / 2));
      std::map<std::string, std::vector<std::int8_t>> got;
      fast.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) { got[op->get_name()] = v.data; });
      ref.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) {
        ASSERT_EQ(got.at(op->get_name()), v.data) << op->get_name() << " shift " << s << " variant " << variant;
      });
      ++cases;
    }
  EXPECT_EQ(cases, 70);
  EXPECT_GE(fused, 70);  // every tested layer took the fused path
}

// The vectorized eltwise add equals the reference for every alignment/shift combination, with and
// without ReLU, on lengths that are not multiples of the vector width.
TEST(DpuExecutor, FastEltwiseAddEqualsReferenceForAllShifts) {
  std::mt19937 rng(11);
  const std::int64_t n = 1000 + 13;
  std::vector<std::int8_t> a(n), b(n), fast(n), ref(n);
  for (auto& v : a) v = static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128);
  for (auto& v : b) v = static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128);
  int checked = 0;
  for (int fa = -2; fa <= 8; ++fa)
    for (int fb = -2; fb <= 8; ++fb)
      for (int fo = -2; fo <= 8; ++fo)
        for (bool relu : {false, true}) {
          if (!dputk::engine::dpu_fast::eltwise_add2(a.data(), fa, b.data(), fb, n, fo, relu, fast.data())) continue;
          dputk::engine::dpu_ref::eltwise_add({a.data(), b.data()}, {fa, fb}, n, ref.data(), fo, relu);
          ASSERT_EQ(fast, ref) << fa << " " << fb << " " << fo << " " << relu;
          ++checked;
        }
  EXPECT_GT(checked, 2000);
}

// The vectorized eltwise multiply equals dpu::eltwise_mul_output on every product for every output
// shift it takes (left shifts to 16, rounding right shifts to 30), with and without ReLU, for two full
// maps and for a map times a [N, 1, 1, C] channel scale (squeeze-and-excitation), channels not a
// multiple of the vector width.
TEST(DpuExecutor, FastEltwiseMulEqualsReference) {
  std::mt19937 rng(17);
  const int n = 3, hw = 25, c = 37;
  const std::int64_t pixels = n * hw;
  std::vector<std::int8_t> a(pixels * c), b(pixels * c), scale(n * c), fast(pixels * c);
  for (auto* v : {&a, &b, &scale})
    for (auto& x : *v) x = static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128);
  a[0] = b[0] = -128;  // the largest product, 2^14
  int checked = 0;
  for (int f = 0; f <= 14; ++f)
    for (int fo = f - 30; fo <= f + 16; ++fo)
      for (bool relu : {false, true})
        for (bool per_channel : {false, true}) {
          const std::int8_t* y = per_channel ? scale.data() : b.data();
          ASSERT_TRUE(dputk::engine::dpu_fast::eltwise_mul2(a.data(), y, per_channel, pixels, c, hw, f, fo, relu, fast.data()));
          for (std::int64_t p = 0; p < pixels; ++p)
            for (int ch = 0; ch < c; ++ch) {
              const std::int64_t prod = static_cast<std::int64_t>(a[p * c + ch]) * (per_channel ? scale[(p / hw) * c + ch] : b[p * c + ch]);
              ASSERT_EQ(fast[p * c + ch], dputk::dpu::eltwise_mul_output(prod, f, fo, relu))
                  << "f " << f << " fo " << fo << " relu " << relu << " per_channel " << per_channel << " pixel " << p << " channel " << ch;
            }
          ++checked;
        }
  EXPECT_EQ(checked, 15 * 47 * 4);
}

// The vectorized requantization of convolution sums equals dpu::conv_output for every shift_cut and
// shift_bias it takes, every output fix point a ReLU6 clamp meets (6 LSBs to 96, and above int8's own
// saturation), with no activation, ReLU, ReLU6 and leaky ReLU (26/256, one rounding), on sums around
// every rounding tie and the bounds.
TEST(DpuExecutor, FastConvRequantizationEqualsReference) {
  using dputk::dpu::Nonlinear;
  std::mt19937 rng(5);
  const int oc = 37, pixels = 29;  // odd channel count: a scalar tail after the vector part
  std::vector<std::int32_t> acc(static_cast<std::size_t>(oc) * pixels);
  std::vector<std::int8_t> bias(oc), fast(acc.size());
  for (auto& b : bias) b = static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128);
  int checked = 0, clamped_at_six = 0;
  for (int cut = 0; cut <= 29; ++cut) {
    for (std::size_t i = 0; i < acc.size(); ++i) {  // around ±128 and ±6·2^k output LSBs, ties included
      const std::int64_t lsb = std::int64_t{1} << cut, target = static_cast<std::int64_t>(rng() % 400) - 200;
      const std::int64_t v = target * lsb + (i % 3 == 0 ? lsb / 2 : static_cast<std::int64_t>(rng() % static_cast<std::uint32_t>(lsb)));
      acc[i] = static_cast<std::int32_t>(std::max<std::int64_t>(-(1 << 28), std::min<std::int64_t>((1 << 28) - 1, v)));
    }
    for (int sb = -1; sb <= 20; sb += 3)
      for (Nonlinear nl : {Nonlinear::NONE, Nonlinear::RELU, Nonlinear::RELU6, Nonlinear::LEAKYRELU})
        for (int fo : {-1, 0, 2, 4, 5, 8}) {
          if (nl != Nonlinear::RELU6 && fo != 0) continue;
          const dputk::dpu::ConvShift shift{sb, cut, nl, fo};
          ASSERT_TRUE(dputk::engine::dpu_fast::conv_output(acc.data(), bias.data(), pixels, oc, shift, fast.data()));
          for (std::size_t i = 0; i < acc.size(); ++i) {
            const std::int8_t want = dputk::dpu::conv_output(acc[i], bias[i % oc], shift);
            ASSERT_EQ(fast[i], want) << "cut " << cut << " shift_bias " << sb << " nonlinear " << static_cast<int>(nl) << " fo " << fo
                                     << " acc " << acc[i];
            clamped_at_six += nl == Nonlinear::RELU6 && fo <= 4 && want == (6 << std::max(fo, 0));
          }
          ++checked;
        }
  }
  EXPECT_EQ(checked, 30 * 8 * 9);
  EXPECT_GT(clamped_at_six, 1000);  // the ReLU6 clamp below 127 was exercised
}

// The float fake-quant path (the quantizer form run with float kernels) and the DPU integer path agree
// on the quantized model: the integer one is what we report, the float one is a fast approximation.
// Stated tolerance: top-1 agreement >= 98% and accuracy within 0.5 pp on 1000 held-out images (they
// differ only where float rounding of the fake-quant sums and the hardware eltwise truncation
// disagree with exact integer arithmetic).
TEST(QuantizedPaths, FakeQuantAndIntegerAgreeOnResNet20) {
  auto prepared = dputk::load_prepared_model(data_path("cifar10/resnet20.onnx"), {});
  auto data = dputk::open_dataset(data_path("cifar10/test_batch.bin"));
  auto pre = dputk::Preprocess::preset("cifar");
  std::vector<std::size_t> calib, test;
  for (std::size_t i = 0; i < 200; ++i) calib.push_back(i * 50);
  for (std::size_t i = 0; i < 1000; ++i) test.push_back(i * 10 + 1);
  auto qg = dputk::calibrate_model(*prepared, *data, calib, pre, 50, {});
  auto low = dputk::lower_to_fix_form(*qg.graph);
  dputk::engine::FloatExecutor fake(*qg.graph);
  // The weights, their fix ops' outputs folded, are held by the convolutions only (not twice more as
  // constants): what is kept is less than a tenth of them.
  std::size_t weights = 0;
  for (const xir::Op* op : qg.graph->get_ops())
    if (op->get_type() == "const") weights += static_cast<std::size_t>(op->get_output_tensor()->get_element_num()) * sizeof(float);
  EXPECT_LT(fake.constant_bytes(), weights / 10);
  dputk::engine::DpuExecutor dpu(*low);
  auto fake_model = dputk::float_classifier(fake), int_model = dputk::dpu_classifier(dpu);
  std::size_t agree = 0;
  auto both = [&](const dputk::engine::FloatTensor& batch) {
    auto a = fake_model(batch), b = int_model(batch);
    const int n = batch.shape[0], classes = static_cast<int>(a.numel() / n);
    for (int i = 0; i < n; ++i) {
      const float* pa = a.data.data() + i * classes;
      const float* pb = b.data.data() + i * classes;
      agree += std::max_element(pa, pa + classes) - pa == std::max_element(pb, pb + classes) - pb;
    }
    return b;
  };
  auto r_int = dputk::evaluate(*data, test, pre, both, 50, "int8");
  auto r_fake = dputk::evaluate(*data, test, pre, fake_model, 50, "fake-quant");
  RecordProperty("top1_agreement", std::to_string(agree));
  EXPECT_GE(agree, 980u);
  EXPECT_LE(std::abs(r_int.top1_percent() - r_fake.top1_percent()), 0.5);
}

// pool-fix MAX through oneDNN's s8 pooling equals the reference (padding, stride, fo != fi, fo == fi).
TEST(DpuExecutor, FastMaxPoolEqualsReference) {
  for (int fo : {4, 3}) {
    auto g = xir::Graph::create("pool");
    auto a = xir::Attrs::create();
    a->set_attr<std::vector<std::int32_t>>("shape", {2, 9, 9, 16});
    a->set_attr<std::string>("data_type", "XINT8");
    xir::Op* in = g->add_op("in", "data-fix", std::move(a), {}, xir::DataType("XINT8"));
    in->get_output_tensor()->set_attr<std::int32_t>("fix_point", 4);
    auto p = xir::Attrs::create();
    p->set_attr<std::vector<std::int32_t>>("kernel", {3, 3});
    p->set_attr<std::vector<std::int32_t>>("stride", {2, 2});
    p->set_attr<std::vector<std::int32_t>>("pad", {1, 1, 1, 1});
    p->set_attr<std::string>("type", "MAX");
    xir::Op* pool = g->add_op("pool", "pool-fix", std::move(p), {{"input", {in}}}, xir::DataType("XINT8"));
    pool->get_output_tensor()->set_attr<std::int32_t>("fix_point", fo);
    ASSERT_EQ(pool->get_output_tensor()->get_shape(), (std::vector<std::int32_t>{2, 5, 5, 16}));
    dputk::engine::DpuExecutor fast(*g, {true}), ref(*g, {false});
    dputk::engine::DpuTensor x;
    x.shape = {2, 9, 9, 16};
    x.data.resize(2 * 9 * 9 * 16);
    std::uint32_t state = 12345;
    for (auto& v : x.data) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<std::int8_t>(static_cast<int>(state >> 24) - 128);  // includes all-negative windows
    }
    EXPECT_EQ(fast.run({&x})[0].data, ref.run({&x})[0].data) << "fo " << fo;
  }
}

// Calibration runs the convolutions between fix ops as int8 oneDNN convolutions (exact sums) instead
// of float32 ones: on ResNet20 (ReLU inputs, u8) and MobileNetV2 (depthwise, ReLU6, signed inputs
// after the residual adds, s8) every fix point and every quantized parameter comes out the same.
TEST(Calibration, Int8ConvolutionsChooseWhatFloat32ConvolutionsChoose) {
  struct Case {
    const char* model;
    const char* data;
    const char* list;
    const char* preset;
  };
  for (const Case& c : {Case{"cifar10/resnet20.onnx", "cifar10/test_batch.bin", "", "cifar"},
                        Case{"imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx", "imagenet/val_500", "imagenet/val_500.txt", "inception"}}) {
    dputk::PrepareOptions po;
    po.relu6_replace = "keep_after_depthwise";
    auto prepared = dputk::load_prepared_model(data_path(c.model), po);
    auto data = dputk::open_dataset(data_path(c.data), *c.list ? data_path(c.list) : "");
    std::vector<std::size_t> calib;
    for (std::size_t i = 0; i < 16; ++i) calib.push_back(i * 7);
    dputk::CalibOptions exact, float32;
    float32.int8_convolutions = false;
    auto a = dputk::calibrate_model(*prepared, *data, calib, dputk::Preprocess::preset(c.preset), 8, exact);
    auto b = dputk::calibrate_model(*prepared, *data, calib, dputk::Preprocess::preset(c.preset), 8, float32);
    int fixes = 0;
    for (const xir::Op* op : a.graph->get_ops()) {
      const xir::Op* other = b.graph->get_op(op->get_name());
      ASSERT_NE(other, nullptr) << op->get_name();
      if (op->get_type() == "fix") {
        EXPECT_EQ(op->get_attr<std::int32_t>("fix_point"), other->get_attr<std::int32_t>("fix_point")) << c.model << " " << op->get_name();
        ++fixes;
      }
      if (op->get_type() == "const") {
        EXPECT_EQ(dputk::const_values(*op), dputk::const_values(*other)) << c.model << " " << op->get_name();
      }
    }
    EXPECT_GT(fixes, 40) << c.model;
  }
}
