// A classifier ending in Softmax, as many exported models do: the quantizer leaves the softmax in float
// (as vai_q_pytorch does), the compile puts fix2float → softmax in a CPU subgraph after the one DPU
// subgraph, and the VART graph runner returns probabilities equal to the softmax of the DPU's int8
// logits — the same numbers the quantizer's test mode computes.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <fstream>

#include "dputk/data/batch.hpp"
#include "dputk/compiler/partition.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "onnx_test_model.hpp"
#include "test_data.hpp"
#include "vart/runner_helper.hpp"
#include "vitis/ai/graph_runner.hpp"

using dputk::test::data_path;

namespace {

onnx::TensorProto tensor(const std::string& name, std::vector<std::int64_t> dims, unsigned seed) {
  return dputk::test::seeded_tensor(name, dims, seed);
}

// input [1,3,32,32] → Conv 3×3 (3→8) → Relu → GlobalAveragePool → Flatten → Gemm (8→10) → Softmax.
std::string write_model(const std::string& path) {
  using dputk::test::add_onnx_node;
  using dputk::test::set_onnx_attr;
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "softmax_net", "x", {1, 3, 32, 32});
  *g->add_initializer() = tensor("w", {8, 3, 3, 3}, 1);
  *g->add_initializer() = tensor("b", {8}, 2);
  *g->add_initializer() = tensor("fw", {10, 8}, 3);
  *g->add_initializer() = tensor("fb", {10}, 4);
  set_onnx_attr(add_onnx_node(g, "Conv", {"x", "w", "b"}, "conv"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  add_onnx_node(g, "Relu", {"conv"}, "relu");
  add_onnx_node(g, "GlobalAveragePool", {"relu"}, "gap");
  add_onnx_node(g, "Flatten", {"gap"}, "flat");
  set_onnx_attr(add_onnx_node(g, "Gemm", {"flat", "fw", "fb"}, "logits"), "transB", std::int64_t{1});
  set_onnx_attr(add_onnx_node(g, "Softmax", {"logits"}, "prob"), "axis", std::int64_t{1});
  auto* out = g->add_output();
  out->set_name("prob");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  std::ofstream f(path, std::ios::binary);
  m.SerializeToOstream(&f);
  return path;
}

TEST(SoftmaxTail, QuantizedCompiledAndRunOnTheCpuAfterTheDpu) {
  const std::string dir = dputk::test::scratch_dir("softmax_tail");
  auto prepared = dputk::load_prepared_model(write_model(dir + "/softmax_net.onnx"), {});
  auto data = dputk::open_dataset(data_path("cifar10/test_batch.bin"));
  const auto pre = dputk::Preprocess::preset("cifar");
  auto q = dputk::calibrate_model(*prepared, *data, {0, 1, 2, 3, 4, 5, 6, 7}, pre, 8, {});
  auto lowered = dputk::lower_to_fix_form(*q.graph);
  auto compiled = dputk::lower_to_fix_form(*q.graph);
  const auto report = dputk::compiler::partition_for_dpu(*compiled, dputk::compiler::target_by_name("DPUCZDX8G_ISA1_B4096"));
  EXPECT_EQ(report.device_subgraphs(), 3) << report.text();
  EXPECT_EQ(report.dpu_subgraphs(), 1) << report.text();
  EXPECT_EQ(report.subgraphs.back().device, "CPU");
  bool softmax_on_cpu = false;
  for (const auto& op : report.ops) softmax_on_cpu = softmax_on_cpu || (op.type == "softmax" && op.device == "CPU");
  EXPECT_TRUE(softmax_on_cpu) << report.text();

  // Test mode (the whole lowered graph) and the VART graph runner (subgraph by subgraph) agree, and the
  // probabilities are the softmax of the int8 logits.
  auto batch = dputk::make_batch(*data, {10, 11, 12, 13}, pre);
  dputk::engine::DpuExecutor whole(*lowered);
  const auto in = dputk::engine::quantize_tensor(batch.input, whole.input_fix_point(0));
  std::vector<dputk::engine::DpuTensor> logits_seen;
  auto outs = whole.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) {
    if (op->get_type() == "fix2float") logits_seen.push_back(v);
  });
  ASSERT_EQ(outs.size(), 1u);
  ASSERT_EQ(outs[0].real.size(), 40u);
  ASSERT_EQ(logits_seen.size(), 1u);
  for (int i = 0; i < 4; ++i) {
    double sum = 0, mx = -1e9;
    for (int c = 0; c < 10; ++c) mx = std::max(mx, std::ldexp(logits_seen[0].data[i * 10 + c], -logits_seen[0].fix_point));
    for (int c = 0; c < 10; ++c) sum += std::exp(std::ldexp(logits_seen[0].data[i * 10 + c], -logits_seen[0].fix_point) - mx);
    for (int c = 0; c < 10; ++c)
      EXPECT_NEAR(outs[0].real[i * 10 + c], std::exp(std::ldexp(logits_seen[0].data[i * 10 + c], -logits_seen[0].fix_point) - mx) / sum, 1e-6);
  }
  auto runner = vitis::ai::GraphRunner::create_graph_runner(compiled.get(), nullptr);
  ASSERT_EQ(runner->get_output_tensors().size(), 1u);
  EXPECT_EQ(runner->get_output_tensors()[0]->get_name(), "prob");
  auto in_t = xir::Tensor::create(runner->get_input_tensors()[0]->get_name(), {4, 32, 32, 3}, xir::DataType("XINT8"));
  auto out_t = xir::Tensor::create("prob", {4, 10}, xir::DataType("FLOAT32"));
  auto ib = vart::alloc_cpu_flat_tensor_buffers({in_t.get()});
  auto ob = vart::alloc_cpu_flat_tensor_buffers({out_t.get()});
  std::memcpy(reinterpret_cast<void*>(ib[0]->data().first), in.data.data(), in.data.size());
  runner->execute_async({ib[0].get()}, {ob[0].get()});
  const float* prob = reinterpret_cast<const float*>(ob[0]->data().first);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(prob[i], outs[0].real[i]) << i;
}

}  // namespace
