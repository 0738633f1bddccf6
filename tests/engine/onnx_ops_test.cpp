// ONNX ops the shared models do not use, on a small model built here with the ONNX protobuf classes,
// checked against values computed by hand; an unsupported op is an error naming the node and type.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>

#include "dputk/engine/float_executor.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "onnx_test_model.hpp"

namespace {

using dputk::test::add_onnx_node;
using dputk::test::float_tensor;
using dputk::test::set_onnx_attr;

// Nodes here are named "<output>_node" (the error test looks for the name).
onnx::NodeProto* node(onnx::GraphProto* g, const std::string& type, std::vector<std::string> in, const std::string& out) {
  return add_onnx_node(g, type, in, out, out + "_node");
}

// input [1,2,2,2] → Conv 1×1 (2→2) → BatchNormalization → Dropout → Relu → Concat(axis 1, with the
// input) → Reshape [1,-1] → MatMul with a constant [16,1] → Identity → output [1,1].
std::string build_model(bool with_unsupported) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "synthetic", "x", {1, 2, 2, 2});
  *g->add_initializer() = float_tensor("w", {2, 2, 1, 1}, {1, 2, -1, 1});
  *g->add_initializer() = float_tensor("b", {2}, {0.5f, -3});
  *g->add_initializer() = float_tensor("gamma", {2}, {2, 1});
  *g->add_initializer() = float_tensor("beta", {2}, {0, 1});
  *g->add_initializer() = float_tensor("mean", {2}, {1, 0});
  *g->add_initializer() = float_tensor("var", {2}, {3.99999f, 1});
  *g->add_initializer() = dputk::test::int64_tensor("shape", {1, -1});
  node(g, "Conv", {"x", "w", "b"}, "c");
  set_onnx_attr(node(g, "BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, "bn"), "epsilon", 1e-5f);
  node(g, "Dropout", {"bn"}, "d");
  node(g, "Relu", {"d"}, "r");
  set_onnx_attr(node(g, "Concat", {"r", "x"}, "cat"), "axis", std::int64_t{1});
  node(g, "Reshape", {"cat", "shape"}, "flat");
  std::vector<float> ones(16);
  for (int i = 0; i < 16; ++i) ones[i] = static_cast<float>(i + 1);
  set_onnx_attr(node(g, "Constant", {}, "k"), "value", float_tensor("", {16, 1}, ones));
  node(g, "MatMul", {"flat", "k"}, "mm");
  node(g, with_unsupported ? "Selu" : "Identity", {"mm"}, "y");
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

TEST(OnnxImport, BatchNormConcatReshapeMatMulConstantMatchHandComputedValues) {
  auto graph = dputk::import_onnx_from_string(build_model(false), "synthetic");
  dputk::engine::FloatExecutor exec(*graph);
  // x in NCHW: channel 0 = [1,2,3,4], channel 1 = [0,1,0,-1]; the engine wants NHWC.
  const float nchw[2][4] = {{1, 2, 3, 4}, {0, 1, 0, -1}};
  dputk::engine::FloatTensor x({1, 2, 2, 2});
  for (int p = 0; p < 4; ++p)
    for (int c = 0; c < 2; ++c) x.data[p * 2 + c] = nchw[c][p];
  auto out = exec.run({&x});
  ASSERT_EQ(out[0].numel(), 1);
  // Hand computation in NCHW order (ONNX semantics).
  std::vector<float> flat;
  for (int c = 0; c < 2; ++c)
    for (int p = 0; p < 4; ++p) {
      const float conv = c == 0 ? nchw[0][p] * 1 + nchw[1][p] * 2 + 0.5f : nchw[0][p] * -1 + nchw[1][p] * 1 - 3;
      const float gamma[2] = {2, 1}, beta[2] = {0, 1}, mean[2] = {1, 0}, var[2] = {3.99999f, 1};
      const float bn = (conv - mean[c]) / std::sqrt(var[c] + 1e-5f) * gamma[c] + beta[c];
      flat.push_back(std::max(bn, 0.0f));
    }
  for (int c = 0; c < 2; ++c)
    for (int p = 0; p < 4; ++p) flat.push_back(nchw[c][p]);
  double expected = 0;
  for (int i = 0; i < 16; ++i) expected += flat[i] * (i + 1);
  EXPECT_NEAR(out[0].data[0], expected, 1e-3);
}

TEST(OnnxImport, UnsupportedOpNamesNodeAndType) {
  try {
    dputk::import_onnx_from_string(build_model(true), "synthetic");
    FAIL() << "Selu was accepted";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("y_node"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'Selu' is not supported"), std::string::npos) << msg;
  }
}

TEST(OnnxImport, CorruptBytesAreAClearError) {
  std::string bytes = build_model(false);
  EXPECT_THROW(dputk::import_onnx_from_string(bytes.substr(0, bytes.size() / 3), "cut"), std::runtime_error);
  EXPECT_THROW(dputk::import_onnx_from_string("", "empty"), std::runtime_error);
}

}  // namespace

// The op library's add-an-op example: hard-sigmoid (ops/hard_sigmoid.cpp), imported from ONNX
// HardSigmoid with PyTorch's parameters (alpha 1/6, beta 0.5): relu6(x + 3) / 6 on the float engine;
// other parameters have no XIR form and are refused by name.
std::string hard_sigmoid_model(float alpha) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "hsig", "x", {1, 3, 2, 2});
  set_onnx_attr(node(g, "HardSigmoid", {"x"}, "y"), "alpha", alpha);
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

TEST(OnnxImport, HardSigmoidIsReluSixOfXPlusThreeOverSix) {
  auto graph = dputk::import_onnx_from_string(hard_sigmoid_model(1.0f / 6.0f), "hsig");
  for (bool fast : {true, false}) {
    dputk::engine::FloatExecutor exec(*graph, {fast});
    dputk::engine::FloatTensor x({1, 2, 2, 3});
    for (int i = 0; i < 12; ++i) x.data[i] = -4.5f + 0.75f * static_cast<float>(i);  // both clamps and the ramp
    auto out = exec.run({&x});
    ASSERT_EQ(out[0].numel(), 12);
    for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(out[0].data[i], std::min(std::max(x.data[i] + 3.0f, 0.0f), 6.0f) / 6.0f) << i;
  }
  try {
    dputk::import_onnx_from_string(hard_sigmoid_model(0.2f), "hsig");
    FAIL() << "HardSigmoid alpha 0.2 was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("y_node"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no XIR form"), std::string::npos) << e.what();
  }
}

// ReduceMean over H, W (PyTorch's x.mean((2, 3)), MNASNet's head) is global average pooling; keepdims 0
// gives [N, C]; other axes are refused by name.
std::string reduce_mean_model(std::vector<std::int64_t> axes, std::int64_t keepdims) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "rm", "x", {1, 3, 2, 4});
  auto* n = node(g, "ReduceMean", {"x"}, "y");
  set_onnx_attr(n, "axes", axes);
  set_onnx_attr(n, "keepdims", keepdims);
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

TEST(OnnxImport, ReduceMeanOverSpaceIsGlobalAveragePooling) {
  dputk::engine::FloatTensor x({1, 2, 4, 3});
  for (int i = 0; i < 24; ++i) x.data[i] = static_cast<float>(i * i % 7) - 2.5f;
  for (std::int64_t keep : {0, 1}) {
    auto graph = dputk::import_onnx_from_string(reduce_mean_model({-1, 2}, keep), "rm");
    dputk::engine::FloatExecutor exec(*graph);
    auto out = exec.run({&x});
    EXPECT_EQ(out[0].shape, keep ? std::vector<std::int32_t>({1, 1, 1, 3}) : std::vector<std::int32_t>({1, 3}));
    for (int c = 0; c < 3; ++c) {
      float sum = 0;
      for (int p = 0; p < 8; ++p) sum += x.data[p * 3 + c];
      EXPECT_NEAR(out[0].data[c], sum / 8.0f, 1e-5f) << c;
    }
  }
  try {
    dputk::import_onnx_from_string(reduce_mean_model({1}, 1), "rm");
    FAIL() << "ReduceMean over channels was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("y_node"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("spatial axes"), std::string::npos) << e.what();
  }
}
