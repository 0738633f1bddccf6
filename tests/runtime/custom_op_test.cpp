// Custom ops as plugins: a model with a custom CPU op (MyPReLU, the example plugin in
// runtime/vart/examples/prelu_plugin) between two DPU subgraphs is partitioned, saved, and run by the
// graph runner and dpu-run, the op computed by libvart_op_imp_MyPReLU.so; the plugin also builds
// unchanged against the install tree with pkg-config. And every float op of the op library runs in a
// CPU subgraph.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <onnx/onnx_pb.h>

#include "cli_runner.hpp"
#include "dputk/compiler/lower.hpp"
#include "onnx_test_model.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/compiler/partition.hpp"
#include "dputk/compiler/targets.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/engine/op_plugins.hpp"
#include "dputk/vart/vart_emu.hpp"
#include "fix_graph_builder.hpp"
#include "test_data.hpp"
#include "vart/runner_helper.hpp"
#include "vitis/ai/graph_runner.hpp"

namespace {

using dputk::test::error_of;
using IV = std::vector<std::int32_t>;

const std::string kPluginDir = std::string(DPU_BIN_DIR) + "/../plugins";
const std::vector<float> kAlpha = {0.25f, 0.5f, 0.125f, 1.5f, 0.0f, 0.75f, 2.0f, 0.0625f};

// data-fix → conv (DPU) → fix2float → MyPReLU(x, alpha) (CPU, plugin) → float2fix → conv (DPU) → fix2float
std::unique_ptr<xir::Graph> prelu_model(const std::string& custom_type = "MyPReLU") {
  dputk::test::FixGraphBuilder b("custom_prelu", 11);
  xir::Op* x = b.data("input", {1, 6, 6, 3}, 6);
  dputk::test::FixGraphBuilder::Conv c1;
  c1.nonlinear = "NONE";  // negative values for the PReLU
  c1.fo = 4;
  xir::Op* y1 = b.conv("conv1", x, c1);
  xir::Op* f = b.fix2float("conv1_float", y1);
  xir::Graph& g = b.graph();
  auto ca = xir::Attrs::create();
  ca->set_attr<IV>("shape", {8});
  ca->set_attr<std::string>("data_type", "FLOAT32");
  std::vector<char> bytes(kAlpha.size() * 4);
  std::memcpy(bytes.data(), kAlpha.data(), bytes.size());
  ca->set_attr<std::vector<char>>("data", bytes);
  xir::Op* alpha = g.add_op("alpha", "const", std::move(ca), {}, xir::DataType("FLOAT32"));
  auto pa = xir::Attrs::create();
  pa->set_attr<IV>("shape", {1, 6, 6, 8});
  pa->set_attr<std::string>("data_type", "FLOAT32");
  xir::Op* p = g.add_op("prelu", custom_type, std::move(pa), {{"input", {f, alpha}}}, xir::DataType("FLOAT32"));
  auto qa = xir::Attrs::create();
  qa->set_attr<std::int32_t>("fix_point", 4);
  qa->set_attr<std::int32_t>("bit_width", 8);
  qa->set_attr<std::string>("round_mode", "DPU_ROUND");
  qa->set_attr<bool>("if_signed", true);
  xir::Op* q = g.add_op("prelu_fix", "float2fix", std::move(qa), {{"input", {p}}}, xir::DataType("XINT8"));
  for (auto [k, v] : std::map<std::string, std::int32_t>{{"fix_point", 4}, {"bit_width", 8}}) q->get_output_tensor()->set_attr(k, v);
  q->get_output_tensor()->set_attr<bool>("if_signed", true);
  q->get_output_tensor()->set_attr<std::string>("round_mode", "DPU_ROUND");
  dputk::test::FixGraphBuilder::Conv c2;
  c2.fo = 3;
  c2.out_channels = 4;
  // b.conv adds to the same graph
  xir::Op* y2 = b.conv("conv2", q, c2);
  b.fix2float("output", y2);
  return b.take();
}

std::vector<std::int8_t> input_values() {
  std::vector<std::int8_t> v(6 * 6 * 3);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::int8_t>((static_cast<int>(i) * 37) % 256 - 128);
  return v;
}

class CustomOpPlugin : public ::testing::Test {
 protected:
  void SetUp() override { dputk::engine::add_op_plugin_dir(kPluginDir); }
};

TEST_F(CustomOpPlugin, PartitionPutsTheCustomOpOnTheCpuBetweenTwoDpuSubgraphs) {
  auto g = prelu_model();
  auto report = dputk::compiler::partition_for_dpu(*g, dputk::compiler::target_by_name("DPUCZDX8G_ISA1_B4096"));
  int dpu = 0, cpu_with_prelu = 0;
  for (const xir::Subgraph* s : g->get_root_subgraph()->children_topological_sort()) {
    const std::string dev = s->get_attr<std::string>("device");
    dpu += dev == "DPU";
    if (dev == "CPU" && s->has_op(g->get_op("prelu"))) {
      ++cpu_with_prelu;
      EXPECT_TRUE(s->has_op(g->get_op("alpha"))) << "the custom op's float constant follows it";
    }
  }
  EXPECT_EQ(dpu, 2);
  EXPECT_EQ(cpu_with_prelu, 1);
}

TEST_F(CustomOpPlugin, GraphRunnerComputesThePluginBetweenTheDpuParts) {
  auto g = prelu_model();
  // Reference: the un-partitioned graph in one executor with the reference kernels.
  dputk::engine::DpuExecutor whole(*g, {false});
  dputk::engine::DpuTensor in;
  in.shape = {1, 6, 6, 3};
  in.fix_point = 6;
  in.data = input_values();
  std::map<std::string, dputk::engine::DpuTensor> ref;
  auto ref_out = whole.run({&in}, [&](const xir::Op* op, const dputk::engine::DpuTensor& v) { ref[op->get_name()] = v; });

  // The float2fix after the plugin = DPU_ROUND(PReLU(conv1 / 16) · 16), PReLU computed here.
  const auto& conv1 = ref.at("conv1");
  const auto& fixed = ref.at("prelu_fix");
  ASSERT_EQ(conv1.data.size(), fixed.data.size());
  int negatives = 0;
  for (std::size_t i = 0; i < conv1.data.size(); ++i) {
    const float x = conv1.data[i] / 16.0f;
    const float y = x >= 0 ? x : x * kAlpha[i % 8];
    negatives += x < 0;
    const double q = std::floor(static_cast<double>(y) * 16.0 + 0.5);
    ASSERT_EQ(fixed.data[i], static_cast<std::int8_t>(std::max(-128.0, std::min(127.0, q)))) << i;
  }
  EXPECT_GT(negatives, 20);

  // Partitioned, saved, loaded: the graph runner gives the same output bytes.
  dputk::compiler::partition_for_dpu(*g, dputk::compiler::target_by_name("DPUCZDX8G_ISA1_B4096"));
  const std::string path = dputk::test::scratch_dir("custom_op") + "/custom_prelu.xmodel";
  g->serialize(path);
  auto loaded = xir::Graph::deserialize(path);
  auto runner = vitis::ai::GraphRunner::create_graph_runner(loaded.get(), nullptr);
  auto ins = runner->get_inputs();
  auto outs = runner->get_outputs();
  ASSERT_EQ(outs.size(), 1u);
  const auto values = input_values();
  ins[0]->copy_from_host(0, values.data(), values.size(), 0);
  runner->execute_async(ins, outs);
  std::vector<float> got(ref_out[0].data.size());
  outs[0]->copy_to_host(0, got.data(), got.size() * sizeof(float), 0);
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], ref_out[0].data[i] / 8.0f) << i;

  // dpu-run with --op-plugin-dir: the same bytes in a separate process.
  const std::string dir = dputk::test::scratch_dir("custom_op_run");
  std::filesystem::create_directories(dir + "/in");
  std::filesystem::create_directories(dir + "/out");
  std::ofstream(dir + "/in/" + loaded->get_op("input")->get_output_tensor()->get_name() + ".bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size()));
  auto r = dputk::test::run_cli("dpu-run", path + " " + dir + "/in " + dir + "/out --op-plugin-dir " + kPluginDir);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string bytes = dputk::read_file(dir + "/out/output.bin");
  ASSERT_EQ(bytes.size(), got.size() * 4);
  EXPECT_EQ(std::memcmp(bytes.data(), got.data(), bytes.size()), 0);
}

TEST_F(CustomOpPlugin, AMissingPluginIsAClearErrorNamingTheTypeAndTheFile) {
  auto g = prelu_model("MyMissingOp");
  const std::string e = error_of([&] { dputk::engine::DpuExecutor exec(*g); });
  EXPECT_NE(e.find("prelu"), std::string::npos) << e;
  EXPECT_NE(e.find("MyMissingOp"), std::string::npos) << e;
  EXPECT_NE(e.find("libvart_op_imp_MyMissingOp.so"), std::string::npos) << e;
  EXPECT_NE(e.find(kPluginDir), std::string::npos) << e;
}

// The plugin source builds unchanged against `cmake --install`'s tree with pkg-config, and dpu-run
// loads that build.
TEST_F(CustomOpPlugin, BuildsUnchangedAgainstTheInstallTree) {
  const std::string prefix = dputk::test::scratch_dir("plugin_sdk");
  auto r = dputk::test::run_command("cmake --install " + std::string(DPU_BIN_DIR) + "/.. --prefix " + prefix);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string out = prefix + "/plugins";
  std::filesystem::create_directories(out);
  r = dputk::test::run_command("PKG_CONFIG_PATH=" + prefix + "/lib/pkgconfig g++ -std=c++17 -fPIC -shared " + std::string(DPU_SOURCE_DIR) +
                               "/runtime/vart/examples/prelu_plugin/my_prelu.cpp $(PKG_CONFIG_PATH=" + prefix +
                               "/lib/pkgconfig pkg-config --cflags --libs dputk-vart) -o " + out + "/libvart_op_imp_MyPReLU.so");
  ASSERT_EQ(r.code, 0) << r.out;
  auto g = prelu_model();
  dputk::compiler::partition_for_dpu(*g, dputk::compiler::target_by_name("DPUCZDX8G_ISA1_B4096"));
  const std::string path = prefix + "/custom_prelu.xmodel";
  g->serialize(path);
  std::filesystem::create_directories(prefix + "/in");
  std::filesystem::create_directories(prefix + "/out");
  const auto values = input_values();
  std::ofstream(prefix + "/in/" + g->get_op("input")->get_output_tensor()->get_name() + ".bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size()));
  r = dputk::test::run_cli("dpu-run", path + " " + prefix + "/in " + prefix + "/out --op-plugin-dir " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(prefix + "/out/output.bin"));
  r = dputk::test::run_cli("dpu-run", path + " " + prefix + "/in " + prefix + "/out2");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("libvart_op_imp_MyPReLU.so"), std::string::npos) << r.out;
}

// input [1,3,32,32] → Conv 3×3 (3→8) → MyPReLU (custom, domain com.example) → Conv 3×3 (8→8) → Relu →
// GlobalAveragePool → Flatten → Gemm (8→10).
std::string write_custom_model(const std::string& path) {
  using dputk::test::add_onnx_node;
  using dputk::test::set_onnx_attr;
  const auto tensor = dputk::test::seeded_tensor;
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "custom_net", "x", {1, 3, 32, 32});
  *g->add_initializer() = tensor("w1", {8, 3, 3, 3}, 1);
  *g->add_initializer() = tensor("b1", {8}, 2);
  *g->add_initializer() = dputk::test::float_tensor("alpha", {8}, kAlpha);
  *g->add_initializer() = tensor("w2", {8, 8, 3, 3}, 3);
  *g->add_initializer() = tensor("b2", {8}, 4);
  *g->add_initializer() = tensor("fw", {10, 8}, 5);
  *g->add_initializer() = tensor("fb", {10}, 6);
  set_onnx_attr(add_onnx_node(g, "Conv", {"x", "w1", "b1"}, "c1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  add_onnx_node(g, "MyPReLU", {"c1", "alpha"}, "p1")->set_domain("com.example");
  set_onnx_attr(add_onnx_node(g, "Conv", {"p1", "w2", "b2"}, "c2"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  add_onnx_node(g, "Relu", {"c2"}, "r2");
  add_onnx_node(g, "GlobalAveragePool", {"r2"}, "gap");
  add_onnx_node(g, "Flatten", {"gap"}, "flat");
  set_onnx_attr(add_onnx_node(g, "Gemm", {"flat", "fw", "fb"}, "logits"), "transB", std::int64_t{1});
  auto* out = g->add_output();
  out->set_name("logits");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  std::ofstream f(path, std::ios::binary);
  m.SerializeToOstream(&f);
  return path;
}

// dpu-compile DIR/q/NAME_int.xmodel for the KV260 (expecting `dpu_subgraphs`), then one input through the
// graph runner: its output must equal the quantizer's integer evaluation (the lowered graph in one
// executor). Returns the compiled graph and every tensor the runner computed.
struct Flow {
  std::unique_ptr<xir::Graph> graph;
  std::map<std::string, dputk::engine::DpuTensor> seen;
};
Flow compile_and_run_like_test_mode(const std::string& dir, const std::string& name, int dpu_subgraphs) {
  Flow f;
  auto r = dputk::test::run_cli("dpu-compile", "-x " + dir + "/q/" + name + "_int.xmodel -a " + std::string(DPU_SOURCE_DIR) +
                                                   "/board/kv260/arch.json -o " + dir + "/c -n " + name);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("DPU subgraph number " + std::to_string(dpu_subgraphs)), std::string::npos) << r.out;
  f.graph = xir::Graph::deserialize(dir + "/c/" + name + ".xmodel");
  auto quantized = xir::Graph::deserialize(dir + "/q/" + name + "_int.xmodel");
  auto lowered = dputk::lower_to_fix_form(*quantized);
  dputk::engine::DpuExecutor whole(*lowered);
  dputk::engine::DpuTensor in;
  in.shape = {1, 32, 32, 3};
  in.fix_point = whole.input_fix_point(0);
  for (int i = 0; i < 32 * 32 * 3; ++i) in.data.push_back(static_cast<std::int8_t>((i * 53) % 256 - 128));
  const auto expected = whole.run({&in});
  auto runner = vitis::ai::GraphRunner::create_graph_runner(f.graph.get(), nullptr);
  dputk::vart_emu::set_tensor_observer(runner.get(), [&](const xir::Tensor* t, const dputk::engine::DpuTensor& v) { f.seen[t->get_name()] = v; });
  auto ins = runner->get_inputs();
  auto outs = runner->get_outputs();
  ins[0]->copy_from_host(0, in.data.data(), in.data.size(), 0);
  runner->execute_async(ins, outs);
  std::vector<float> got(10);
  outs[0]->copy_to_host(0, got.data(), got.size() * sizeof(float), 0);
  EXPECT_EQ(expected.size(), 1u);
  for (int c = 0; c < 10; ++c) EXPECT_EQ(got[c], std::ldexp(static_cast<float>(expected[0].data[c]), -expected[0].fix_point)) << c;
  return f;
}

// quantize (the plugin keeps the op in float) → compile (the op on the CPU between two DPU subgraphs)
// → run: the graph runner's output equals the quantizer's integer evaluation, and the int8 value
// entering the second DPU subgraph is DPU_ROUND(PReLU(the first one's output)).
TEST_F(CustomOpPlugin, QuantizeCompileAndRunAModelWithACustomOp) {
  const std::string dir = dputk::test::scratch_dir("custom_op_flow");
  const std::string model = write_custom_model(dir + "/custom_net.onnx");
  const std::string q = "--model " + model + " --data_dir " + dputk::test::data_path("cifar10/test_batch.bin") +
                        " --preprocess cifar --output_dir " + dir + "/q --op-plugin-dir " + kPluginDir;
  auto r = dputk::test::run_cli("dpu-quantize", q + " --quant_mode calib --subset_len 16");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("libvart_op_imp_MyPReLU.so found"), std::string::npos) << r.out;
  r = dputk::test::run_cli("dpu-quantize", q + " --quant_mode test --skip 16 --subset_len 48");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_GE(dputk::test::accuracy_of(r.out), 0.0) << r.out;
  // Without the plugin the model is refused at import, naming the node and what would make it work.
  r = dputk::test::run_cli("dpu-quantize", "--model " + model + " --data_dir " + dputk::test::data_path("cifar10/test_batch.bin") +
                                               " --preprocess cifar --quant_mode float --subset_len 4");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("MyPReLU"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("libvart_op_imp_MyPReLU.so"), std::string::npos) << r.out;

  auto compiled = compile_and_run_like_test_mode(dir, "custom_net", 2);
  auto& seen = compiled.seen;
  // The CPU op between the DPU parts: float2fix(MyPReLU(fix2float(int8))) computed here.
  const xir::Op* prelu = nullptr;
  for (const xir::Op* op : compiled.graph->topological_sort())
    if (op->get_type() == "MyPReLU") prelu = op;
  ASSERT_NE(prelu, nullptr);
  ASSERT_EQ(prelu->get_fanout_num(), 1);
  const xir::Op* to_fix = prelu->get_fanout_ops()[0];
  EXPECT_EQ(to_fix->get_type(), "float2fix");
  const xir::Op* to_float = prelu->get_input_ops("input")[0];
  ASSERT_EQ(to_float->get_type(), "fix2float");
  const auto& x = seen.at(to_float->get_input_op("input")->get_output_tensor()->get_name());
  const auto& y = seen.at(to_fix->get_output_tensor()->get_name());
  ASSERT_EQ(x.data.size(), y.data.size());
  int negatives = 0;
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    const double v = std::ldexp(static_cast<double>(x.data[i]), -x.fix_point);
    const double p = v >= 0 ? v : v * static_cast<double>(kAlpha[i % 8]);
    negatives += v < 0;
    const double qv = std::floor(static_cast<double>(static_cast<float>(p)) * std::ldexp(1.0, y.fix_point) + 0.5);
    ASSERT_EQ(y.data[i], static_cast<std::int8_t>(std::max(-128.0, std::min(127.0, qv)))) << i;
  }
  EXPECT_GT(negatives, 100);
}

// A CPU subgraph whose input is a float tensor (the graph's float input), running float ops of the op
// library the emulator had no kernel for before (hard-sigmoid, sigmoid, mul with broadcasting, transpose):
// the VART runner takes the FLOAT32 buffer and gives what the float engine computes.
TEST(CpuSubgraphs, TakeFloatInputsAndRunAnyFloatOpOfTheLibrary) {
  auto g = xir::Graph::create("float_cpu");
  auto da = xir::Attrs::create();
  da->set_attr<IV>("shape", {1, 4, 4, 3});
  da->set_attr<std::string>("data_type", "FLOAT32");
  xir::Op* x = g->add_op("x", "data", std::move(da), {}, xir::DataType("FLOAT32"));
  xir::Op* h = g->add_op("hs", "hard-sigmoid", xir::Attrs::create(), {{"input", {x}}});
  xir::Op* sg = g->add_op("sg", "sigmoid", xir::Attrs::create(), {{"input", {x}}});
  xir::Op* m = g->add_op("m", "mul", xir::Attrs::create(), {{"input", {h, sg}}});
  auto ta = xir::Attrs::create();
  ta->set_attr<IV>("order", {0, 3, 1, 2});
  g->add_op("t", "transpose", std::move(ta), {{"input", {m}}});
  dputk::engine::FloatTensor in({1, 4, 4, 3});
  for (int i = 0; i < 48; ++i) in.data[i] = -4.0f + 0.17f * static_cast<float>(i);
  dputk::engine::FloatExecutor reference(*g, {false});
  const auto want = reference.run({&in});

  dputk::compiler::partition_for_dpu(*g, dputk::compiler::target_by_name("DPUCZDX8G_ISA1_B4096"));
  const xir::Subgraph* cpu = nullptr;
  for (const xir::Subgraph* s : g->get_root_subgraph()->children_topological_sort())
    if (s->get_attr<std::string>("device") == "CPU") cpu = s;
  ASSERT_NE(cpu, nullptr);
  auto runner = vart::Runner::create_runner(cpu, "run");
  ASSERT_EQ(runner->get_input_tensors()[0]->get_data_type().to_string(), "FLOAT32");
  auto ins = vart::alloc_cpu_flat_tensor_buffers(runner->get_input_tensors());
  auto outs = vart::alloc_cpu_flat_tensor_buffers(runner->get_output_tensors());
  ins[0]->copy_from_host(0, in.data.data(), in.data.size() * sizeof(float), 0);
  runner->execute_async({ins[0].get()}, {outs[0].get()});
  std::vector<float> got(48);
  outs[0]->copy_to_host(0, got.data(), got.size() * sizeof(float), 0);
  ASSERT_EQ(want[0].data.size(), got.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[0].data[i]) << i;
}

// Ops with no DPU form (here the sigmoid of SiLU as PyTorch exports it: x · sigmoid(x)) stay in float and
// run on the CPU between DPU subgraphs — quantized, compiled and run like the rest, never an error; the
// product of the two feature maps is the DPU's eltwise MUL.
// x → Conv → SiLU (x · sigmoid(x)) → Conv → Relu → GAP → Gemm, written to dir/silu_net.onnx.
std::string silu_model(const std::string& dir) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "silu_net", "x", {1, 3, 32, 32});
  *g->add_initializer() = dputk::test::seeded_tensor("w1", {8, 3, 3, 3}, 1);
  *g->add_initializer() = dputk::test::seeded_tensor("w2", {8, 8, 3, 3}, 2);
  *g->add_initializer() = dputk::test::seeded_tensor("fw", {10, 8}, 3);
  using dputk::test::add_onnx_node;
  using dputk::test::set_onnx_attr;
  set_onnx_attr(add_onnx_node(g, "Conv", {"x", "w1"}, "c1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  add_onnx_node(g, "Sigmoid", {"c1"}, "s1");
  add_onnx_node(g, "Mul", {"c1", "s1"}, "silu");
  set_onnx_attr(add_onnx_node(g, "Conv", {"silu", "w2"}, "c2"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  add_onnx_node(g, "Relu", {"c2"}, "r2");
  add_onnx_node(g, "GlobalAveragePool", {"r2"}, "gap");
  add_onnx_node(g, "Flatten", {"gap"}, "flat");
  set_onnx_attr(add_onnx_node(g, "Gemm", {"flat", "fw"}, "logits"), "transB", std::int64_t{1});
  g->add_output()->set_name("logits");
  const std::string model = dir + "/silu_net.onnx";
  std::ofstream(model, std::ios::binary) << m.SerializeAsString();
  return model;
}

// dpu-quantize calib (16 CIFAR images; the calib output is returned) and test (48 others) of
// dir/silu_net.onnx, with extra flags (a config file).
std::string quantize_silu_net(const std::string& dir, const std::string& extra) {
  const std::string q = "--model " + silu_model(dir) + " --data_dir " + dputk::test::data_path("cifar10/test_batch.bin") +
                        " --preprocess cifar --output_dir " + dir + "/q" + extra;
  auto calib = dputk::test::run_cli("dpu-quantize", q + " --quant_mode calib --subset_len 16");
  EXPECT_EQ(calib.code, 0) << calib.out;
  auto test = dputk::test::run_cli("dpu-quantize", q + " --quant_mode test --skip 16 --subset_len 48");
  EXPECT_EQ(test.code, 0) << test.out;
  return calib.out;
}

TEST(CpuFallback, OpsWithoutADpuFormRunOnTheCpuThroughTheWholeFlow) {
  const std::string dir = dputk::test::scratch_dir("cpu_fallback");
  const std::string calib = quantize_silu_net(dir, "");
  EXPECT_NE(calib.find("(sigmoid) has no DPU form"), std::string::npos) << calib;
  auto f = compile_and_run_like_test_mode(dir, "silu_net", 2);
  int cpu_float_ops = 0, eltwise_mul = 0;
  for (const xir::Op* op : f.graph->topological_sort()) {
    cpu_float_ops += op->get_type() == "sigmoid" || op->get_type() == "mul";
    eltwise_mul += op->get_type() == "eltwise-fix" && op->get_attr<std::string>("type") == "MUL";
  }
  EXPECT_EQ(cpu_float_ops, 1);
  EXPECT_EQ(eltwise_mul, 1);
}

// vai_q's convert_silu_to_hswish: the sigmoid becomes a hard-sigmoid, and the whole network one DPU
// subgraph (hard-sigmoid as the DPU's HSIGMOID, the product an eltwise MUL).
TEST(CpuFallback, ConvertSiluToHswishPutsTheWholeNetworkOnTheDpu) {
  const std::string dir = dputk::test::scratch_dir("silu_hswish");
  std::ofstream(dir + "/config.json") << R"({"target_device": "DPU", "convert_silu_to_hswish": true})";
  const std::string calib = quantize_silu_net(dir, " --config_file " + dir + "/config.json");
  EXPECT_NE(calib.find("convert_silu_to_hswish: 1 SiLU"), std::string::npos) << calib;
  auto f = compile_and_run_like_test_mode(dir, "silu_net", 1);
  int hsigmoid = 0;
  for (const xir::Op* op : f.graph->topological_sort()) hsigmoid += op->get_attr_or<std::string>("nonlinear", "") == "HSIGMOID";
  EXPECT_EQ(hsigmoid, 1);
}

}  // namespace
