// The fast DPU integer path (oneDNN s8 convolutions, vectorized requantization and eltwise) is
// bit-equal to the reference loops on every tensor of a quantized real model.
#include <gtest/gtest.h>

#include "dputk/batch.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/lower.hpp"
#include "dputk/quantize.hpp"
#include "test_data.hpp"

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
  dputk::engine::DpuTensor in;
  in.shape = b.input.shape;
  in.data.resize(b.input.data.size());
  dputk::engine::quantize_input(b.input.data.data(), b.input.numel(), fast.input_fix_point(0), in.data.data());
  std::map<std::string, std::vector<std::int8_t>> fast_values;
  fast.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) { fast_values[op->get_name()] = v.data; });
  std::size_t compared = 0;
  ref.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) {
    ASSERT_EQ(fast_values.at(op->get_name()), v.data) << op->get_type() << " " << op->get_name();
    ++compared;
  });
  EXPECT_GT(compared, 30u);
}
