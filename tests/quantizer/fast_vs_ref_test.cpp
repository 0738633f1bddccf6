// The fast DPU integer path (oneDNN s8 convolutions, vectorized requantization and eltwise) is
// bit-equal to the reference loops on every tensor of a quantized real model.
#include <gtest/gtest.h>

#include "dputk/batch.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/lower.hpp"
#include "dputk/quantize.hpp"
#include "test_data.hpp"

#include <algorithm>
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
