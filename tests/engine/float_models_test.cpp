// The float engine reproduces the reference logits shipped with the models, and the fast (oneDNN,
// fused) path equals the reference kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "dputk/engine/float_executor.hpp"
#include "dputk/common/npy.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "test_data.hpp"

using dputk::test::data_path;

namespace {

using dputk::test::nhwc_from_npy;

struct RefCase {
  const char* model;
  const char* input;
  const char* logits;
};

class ReferenceLogits : public ::testing::TestWithParam<RefCase> {};

TEST_P(ReferenceLogits, MatchWithinOneThousandth) {
  const RefCase& rc = GetParam();
  auto graph = dputk::import_onnx(data_path(rc.model));
  auto input = nhwc_from_npy(dputk::read_npy(data_path(rc.input)));
  auto ref = dputk::read_npy(data_path(rc.logits));
  for (bool fast : {false, true}) {
    dputk::engine::FloatExecutor exec(*graph, {fast, fast});
    auto out = exec.run({&input});
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].numel(), ref.size());
    float max_err = 0.0f;
    for (std::size_t i = 0; i < out[0].data.size(); ++i) max_err = std::max(max_err, std::fabs(out[0].data[i] - ref.data[i]));
    EXPECT_LE(max_err, 1e-3f) << rc.model << (fast ? " fast" : " reference");
    RecordProperty(fast ? "max_abs_err_fast" : "max_abs_err_ref", std::to_string(max_err));
  }
}

INSTANTIATE_TEST_SUITE_P(
    SharedData, ReferenceLogits,
    ::testing::Values(RefCase{"cifar10/resnet20.onnx", "cifar10/resnet20_ref_input.npy", "cifar10/resnet20_ref_logits.npy"},
                      RefCase{"cifar10/resnet32.onnx", "cifar10/resnet32_ref_input.npy", "cifar10/resnet32_ref_logits.npy"},
                      RefCase{"imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx", "imagenet/ref_input_4x3x224x224.npy",
                              "imagenet/mobilenet_v2_1.0_224_quant_dequant_ref_logits.npy"}),
    [](const ::testing::TestParamInfo<RefCase>& info) {
      std::string m = info.param.model;
      m = m.substr(m.find('/') + 1);
      m = m.substr(0, m.find_first_of("._"));
      return m;
    });

TEST(FloatEngine, FusionReducesStepsWithoutChangingResults) {
  auto graph = dputk::import_onnx(data_path("cifar10/resnet20.onnx"));
  dputk::engine::FloatExecutor fused(*graph, {true, true}), plain(*graph, {true, false});
  EXPECT_LT(fused.step_count(), plain.step_count());
  auto input = nhwc_from_npy(dputk::read_npy(data_path("cifar10/resnet20_ref_input.npy")));
  auto a = fused.run({&input}), b = plain.run({&input});
  for (std::size_t i = 0; i < a[0].data.size(); ++i) EXPECT_NEAR(a[0].data[i], b[0].data[i], 1e-4f);
}

// The weights are held once, by the convolution kernels (fast and reference): the executor keeps
// only the constants a kernel reads at run time (ResNet20's classifier).
TEST(FloatEngine, KeepsOnlyTheConstantsItsKernelsRead) {
  auto graph = dputk::import_onnx(data_path("cifar10/resnet20.onnx"));
  std::size_t all = 0, classifier = 0;
  for (const xir::Op* op : graph->get_ops()) {
    if (op->get_type() != "const") continue;
    const std::size_t bytes = static_cast<std::size_t>(op->get_output_tensor()->get_element_num()) * sizeof(float);
    all += bytes;
    for (const xir::Op* u : op->get_fanout_ops()) classifier += u->get_type() == "matmul" ? bytes : 0;
  }
  ASSERT_GT(classifier, 0u);
  for (bool fast : {false, true}) {
    dputk::engine::FloatExecutor exec(*graph, {fast, fast});
    EXPECT_LE(exec.constant_bytes(), classifier) << (fast ? "fast" : "reference") << " kernels; all constants: " << all;
  }
}

TEST(FloatEngine, WrongInputShapeIsAClearError) {
  auto graph = dputk::import_onnx(data_path("cifar10/resnet20.onnx"));
  dputk::engine::FloatExecutor exec(*graph);
  dputk::engine::FloatTensor bad({1, 28, 28, 1});
  try {
    exec.run({&bad});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[1,28,28,1]"), std::string::npos) << e.what();
  }
}

// run_from: the network from given values. At a block's output (everything after reads only it) the
// steps before are skipped and the outputs are the full run's; at a value inside a block the shortcut
// still needs what came before, which runs; a changed given value changes the outputs (it is used).
TEST(FloatEngine, RunFromGivenValuesSkipsWhatOnlyTheyNeed) {
  auto graph = dputk::import_onnx(data_path("cifar10/resnet20.onnx"));
  dputk::engine::FloatExecutor exec(*graph, {true, true});
  auto input = nhwc_from_npy(dputk::read_npy(data_path("cifar10/resnet20_ref_input.npy")));
  std::vector<const xir::Op*> order;
  std::map<const xir::Op*, dputk::engine::FloatTensor> seen;
  const auto full = exec.run({&input}, [&](const xir::Op* op, dputk::engine::FloatTensor& v) {
    order.push_back(op);
    seen.emplace(op, v);
  });
  // The blocks' outputs: relu ops two of whose readers are a convolution and an add (the shortcut).
  std::vector<std::size_t> block_outputs;
  for (std::size_t i = 0; i < order.size(); ++i) {
    int adds = 0;
    for (const xir::Op* u : order[i]->get_fanout_ops()) adds += u->get_type() == "add";
    if (order[i]->get_type() == "relu" && adds == 1 && order[i]->get_fanout_num() == 2) block_outputs.push_back(i);
  }
  ASSERT_GE(block_outputs.size(), 4u);
  auto run_from = [&](const xir::Op* op, const dputk::engine::FloatTensor& value, std::size_t* steps) {
    *steps = 0;
    return exec.run_from({&input}, {{op, &value}}, [&](const xir::Op*, dputk::engine::FloatTensor&) { ++*steps; });
  };
  const std::size_t cut = block_outputs[block_outputs.size() / 2];
  std::size_t steps = 0;
  auto out = run_from(order[cut], seen.at(order[cut]), &steps);
  // Observed: the input, the given value and the steps after it.
  EXPECT_EQ(steps, 1 + order.size() - cut) << "the steps before the block output still ran";
  ASSERT_EQ(out[0].data, full[0].data);
  // Inside the next block (its first convolution's output): the block's input is still needed, so
  // everything up to it runs; only the given step is skipped.
  const std::size_t inside = cut + 1;
  ASSERT_NE(order[inside]->get_type(), "add");
  out = run_from(order[inside], seen.at(order[inside]), &steps);
  EXPECT_EQ(steps, order.size()) << order[inside]->get_name();
  ASSERT_EQ(out[0].data, full[0].data);
  dputk::engine::FloatTensor changed = seen.at(order[cut]);
  for (float& v : changed.data) v *= 0.5f;
  out = run_from(order[cut], changed, &steps);
  EXPECT_NE(out[0].data, full[0].data);
}

}  // namespace
