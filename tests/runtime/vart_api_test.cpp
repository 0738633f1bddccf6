// The VART-compatible API over the emulated DPU, on Xilinx's own compiled file: the DPU subgraph of
// CNN_kv260.xmodel (vai_c_xir 3.5) run through vart::Runner reproduces the independent int8
// reference on all 10000 MNIST test images (99.05% top-1); the graph runner runs every subgraph;
// several runners in several threads agree with one; misuse gives clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>

#include "dputk/common/atomic_file.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/vart/vart_emu.hpp"
#include "fix_graph_builder.hpp"
#include "test_data.hpp"
#include "vart/runner.hpp"
#include "vart/runner_ext.hpp"
#include "vart/runner_helper.hpp"
#include "vitis/ai/graph_runner.hpp"

using dputk::test::data_path;

namespace {

using dputk::test::error_of;

const xir::Subgraph* child(const xir::Graph& g, const std::string& device) {
  for (const xir::Subgraph* s : g.get_root_subgraph()->children_topological_sort())
    if (s->get_attr<std::string>("device") == device) return s;
  return nullptr;
}


// A host buffer for `t` with another batch size (the emulator takes any batch).
struct Host {
  std::unique_ptr<vart::TensorBuffer> buffer;
  Host(const xir::Tensor* t, int batch) : buffer(dputk::vart_emu::alloc_batch_buffer(t, batch)) {}
  template <typename T>
  T* ptr() { return reinterpret_cast<T*>(buffer->data().first); }
};

class MnistOnCnnKv260 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    graph_ = xir::Graph::deserialize(data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel")).release();
    auto data = dputk::open_dataset(data_path("mnist/t10k-images-idx3-ubyte.gz"));
    std::vector<std::size_t> ids(10000);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
    auto b = dputk::make_batch(*data, ids, dputk::Preprocess::preset("mnist"));
    input_ = new dputk::engine::DpuTensor(dputk::engine::quantize_tensor(b.input, 6));
    labels_ = new std::vector<int>(b.labels);
  }
  static void TearDownTestSuite() {
    delete graph_;
    delete input_;
    delete labels_;
  }
  static xir::Graph* graph_;
  static dputk::engine::DpuTensor* input_;
  static std::vector<int>* labels_;
};
xir::Graph* MnistOnCnnKv260::graph_ = nullptr;
dputk::engine::DpuTensor* MnistOnCnnKv260::input_ = nullptr;
std::vector<int>* MnistOnCnnKv260::labels_ = nullptr;

TEST_F(MnistOnCnnKv260, DpuRunnerReproducesTheReferenceOnAll10000Images) {
  auto runner = vart::Runner::create_runner(child(*graph_, "DPU"), "run");
  ASSERT_EQ(runner->get_input_tensors().size(), 1u);
  ASSERT_EQ(runner->get_output_tensors().size(), 1u);
  const xir::Tensor* in = runner->get_input_tensors()[0];
  const xir::Tensor* out = runner->get_output_tensors()[0];
  EXPECT_EQ(in->get_name(), "CNN__input_0_fix");
  EXPECT_EQ(in->get_shape(), (std::vector<std::int32_t>{1, 28, 28, 1}));
  EXPECT_EQ(out->get_name(), "CNN__CNN_Sequential_network__Flatten_11__ret_fix");
  EXPECT_EQ(vart::get_input_scale(in), 64.0f);
  EXPECT_EQ(vart::get_output_scale(out), 1.0f / 16);
  EXPECT_EQ(runner->get_tensor_format(), vart::Runner::TensorFormat::NHWC);
  Host hin(in, 10000), hout(out, 10000);
  std::memcpy(hin.ptr<char>(), input_->data.data(), input_->data.size());
  std::vector<vart::TensorBuffer*> ins{hin.buffer.get()}, outs{hout.buffer.get()};
  auto job = runner->execute_async(ins, outs);
  EXPECT_EQ(runner->wait(static_cast<int>(job.first), -1), 0);
  const std::string ref = dputk::read_file(data_path("xmodels/kv260_mnist_cnn/reference_logits_int8_10000x10.bin"));
  const auto* got = hout.ptr<std::int8_t>();
  std::size_t identical = 0, correct = 0;
  for (std::size_t i = 0; i < 10000; ++i) {
    identical += std::memcmp(got + i * 10, ref.data() + i * 10, 10) == 0;
    correct += std::max_element(got + i * 10, got + i * 10 + 10) - (got + i * 10) == (*labels_)[i];
  }
  EXPECT_EQ(identical, 10000u);
  EXPECT_EQ(correct, 9905u);  // 99.05%
}

TEST_F(MnistOnCnnKv260, GraphRunnerRunsEverySubgraphToFloatLogits) {
  auto runner = vitis::ai::GraphRunner::create_graph_runner(graph_, nullptr);
  ASSERT_EQ(runner->get_output_tensors().size(), 1u);
  EXPECT_EQ(runner->get_output_tensors()[0]->get_data_type().to_string(), "FLOAT32");
  // Its own buffers (batch 1), one image at a time.
  auto ins = runner->get_inputs();
  auto outs = runner->get_outputs();
  const std::string ref = dputk::read_file(data_path("xmodels/kv260_mnist_cnn/reference_logits_int8_10000x10.bin"));
  for (std::size_t i = 0; i < 20; ++i) {
    ins[0]->copy_from_host(0, input_->data.data() + i * 784, 784, 0);
    runner->execute_async(ins, outs);
    float logits[10];
    outs[0]->copy_to_host(0, logits, sizeof logits, 0);
    for (int c = 0; c < 10; ++c) ASSERT_EQ(logits[c], static_cast<std::int8_t>(ref[i * 10 + c]) / 16.0f) << "image " << i;
  }
}

TEST_F(MnistOnCnnKv260, RunnersInSeveralThreadsAgreeWithOne) {
  const xir::Subgraph* dpu = child(*graph_, "DPU");
  auto one = vart::Runner::create_runner(dpu);
  const xir::Tensor* in = one->get_input_tensors()[0];
  const xir::Tensor* out = one->get_output_tensors()[0];
  constexpr int kImages = 2000, kThreads = 4;
  Host hin(in, kImages), hout(out, kImages);
  std::memcpy(hin.ptr<char>(), input_->data.data(), kImages * 784);
  one->execute_async({hin.buffer.get()}, {hout.buffer.get()});
  std::vector<std::int8_t> threaded(kImages * 10);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t)
    pool.emplace_back([&, t] {
      auto r = vart::Runner::create_runner(dpu, "run");
      Host i1(in, 1), o1(out, 1);
      for (int img = t; img < kImages; img += kThreads) {
        std::memcpy(i1.ptr<char>(), input_->data.data() + img * 784, 784);
        auto job = r->execute_async({i1.buffer.get()}, {o1.buffer.get()});
        r->wait(static_cast<int>(job.first), -1);
        std::memcpy(threaded.data() + img * 10, o1.ptr<char>(), 10);
      }
    });
  for (auto& t : pool) t.join();
  EXPECT_EQ(std::memcmp(threaded.data(), hout.ptr<char>(), threaded.size()), 0);
}

TEST_F(MnistOnCnnKv260, MisuseIsAClearError) {
  std::string e = error_of([&] { vart::Runner::create_runner(child(*graph_, "USER")); });
  EXPECT_NE(e.find("subgraph_CNN__input_0"), std::string::npos) << e;
  EXPECT_NE(e.find("has no runner"), std::string::npos) << e;
  e = error_of([&] { vart::Runner::create_runner(child(*graph_, "DPU"), "fast"); });
  EXPECT_NE(e.find("unknown mode 'fast'"), std::string::npos) << e;
  auto runner = vart::Runner::create_runner(child(*graph_, "DPU"));
  Host wrong_in(runner->get_input_tensors()[0], 2), out(runner->get_output_tensors()[0], 3);
  e = error_of([&] { runner->execute_async({wrong_in.buffer.get()}, {out.buffer.get()}); });
  EXPECT_NE(e.find("another batch size"), std::string::npos) << e;
  e = error_of([&] { runner->execute_async({}, {out.buffer.get()}); });
  EXPECT_NE(e.find("no tensor buffer for 'CNN__input_0_fix'"), std::string::npos) << e;
  char buf[1000];
  e = error_of([&] { wrong_in.buffer->copy_from_host(2, buf, 10, 0); });
  EXPECT_NE(e.find("outside"), std::string::npos) << e;
  e = error_of([&] { wrong_in.buffer->copy_from_host(0, buf, 785, 0); });
  EXPECT_NE(e.find("outside"), std::string::npos) << e;
}

// CPU subgraphs convert both ways: fix2float (q·2^-fp) and float2fix (DPU_ROUND at the new fix point).
TEST(VartApi, CpuConversionsFix2FloatAndFloat2Fix) {
  dputk::test::FixGraphBuilder b("conversions");
  xir::Op* x = b.data("input", {1, 2, 2, 4}, 4);
  xir::Op* f = b.fix2float("to_float", x);
  auto a = xir::Attrs::create();
  a->set_attr<std::int32_t>("fix_point", 2);
  a->set_attr<std::int32_t>("bit_width", 8);
  a->set_attr<std::string>("round_mode", "DPU_ROUND");
  a->set_attr<bool>("if_signed", true);
  xir::Op* back = b.graph().add_op("to_fix", "float2fix", std::move(a), {{"input", {f}}}, xir::DataType("XINT8"));
  back->get_output_tensor()->set_attr<std::int32_t>("fix_point", 2);
  dputk::engine::DpuExecutor exec(b.graph());
  dputk::engine::DpuTensor in;
  in.shape = {1, 2, 2, 4};
  in.fix_point = 4;
  for (int i = 0; i < 16; ++i) in.data.push_back(static_cast<std::int8_t>(i * 16 - 128 + (i % 3) * 2));
  auto out = exec.run({&in});
  ASSERT_EQ(out.size(), 1u);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(out[0].data[i], static_cast<std::int8_t>(std::floor(in.data[i] / 4.0 + 0.5))) << i;
}

TEST(VartApi, AnOpTheEmulatorCannotRunIsNamedWithItsSubgraph) {
  auto g = xir::Graph::deserialize(data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel"));
  xir::Subgraph* cpu = nullptr;
  for (xir::Subgraph* s : g->get_root_subgraph()->children_topological_sort())
    if (s->get_attr<std::string>("device") == "CPU") cpu = s;
  ASSERT_NE(cpu, nullptr);
  xir::Op* f2f = *cpu->get_ops().begin();
  auto a = xir::Attrs::create();
  a->set_attr<std::vector<std::int32_t>>("shape", {1, 10});
  a->set_attr<std::string>("data_type", "FLOAT32");
  g->add_op("mystery", "my-custom-op", std::move(a), {{"input", {f2f}}}, xir::DataType("FLOAT32"), cpu);
  const std::string e = error_of([&] { vart::Runner::create_runner(cpu); });
  EXPECT_NE(e.find("mystery"), std::string::npos) << e;
  EXPECT_NE(e.find("my-custom-op"), std::string::npos) << e;
  EXPECT_NE(e.find(cpu->get_name()), std::string::npos) << e;
}

}  // namespace
