// ONNX ops the shared models do not use, on a small model built here with the ONNX protobuf classes,
// checked against values computed by hand; an unsupported op is an error naming the node and type.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>

#include "dputk/engine/float_executor.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "onnx_test_model.hpp"
#include "test_data.hpp"

#include <tuple>

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

namespace {

// x [1,2,3,4] → Shape → Gather(0) (the batch) → Unsqueeze → Concat with [2,-1] (an initializer) →
// Reshape of x to [N, 2, 12], then Transpose(0, 2, 1) → [N, 12, 2]: the shape arithmetic of a torch export.
std::string shape_arithmetic_model() {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "shapes", "x", {1, 2, 3, 4});
  *g->add_initializer() = dputk::test::int64_tensor("rest", {2, -1});
  *g->add_initializer() = dputk::test::int64_tensor("zero", {0});
  node(g, "Shape", {"x"}, "s");
  *g->add_initializer() = dputk::test::int64_tensor("idx", {0});
  node(g, "Gather", {"s", "idx"}, "n");  // [1]
  node(g, "Concat", {"n", "rest"}, "target");
  set_onnx_attr(g->mutable_node(g->node_size() - 1), "axis", std::int64_t{0});
  node(g, "Reshape", {"x", "target"}, "r");
  set_onnx_attr(node(g, "Transpose", {"r"}, "y"), "perm", std::vector<std::int64_t>{0, 2, 1});
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

std::string resize_model(const std::string& mode, const std::string& coord, const std::string& nearest) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "rs", "x", {1, 1, 2, 2});
  *g->add_initializer() = dputk::test::float_tensor("scales", {4}, {1, 1, 2, 2});
  auto* n = node(g, "Resize", {"x", "", "scales"}, "y");
  auto str = [&](const char* k, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  };
  str("mode", mode);
  str("coordinate_transformation_mode", coord);
  str("nearest_mode", nearest);
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

}  // namespace

TEST(OnnxImport, ShapeArithmeticIsFoldedAndReshapeTransposeKeepNchwOrder) {
  auto graph = dputk::import_onnx_from_string(shape_arithmetic_model(), "shapes");
  dputk::engine::FloatExecutor exec(*graph);
  dputk::engine::FloatTensor x({1, 3, 4, 2});  // NHWC of NCHW [1,2,3,4]; value = NCHW flat index
  for (int c = 0; c < 2; ++c)
    for (int p = 0; p < 12; ++p) x.data[p * 2 + c] = static_cast<float>(c * 12 + p);
  auto out = exec.run({&x});
  ASSERT_EQ(out[0].shape, std::vector<std::int32_t>({1, 12, 2}));
  // reshape [1,2,12] of the NCHW order, transposed: y[0][p][c] = c * 12 + p.
  for (int p = 0; p < 12; ++p)
    for (int c = 0; c < 2; ++c) EXPECT_EQ(out[0].data[p * 2 + c], static_cast<float>(c * 12 + p));
}

TEST(OnnxImport, ResizeModesMatchOnnxAndUnsupportedOnesAreNamed) {
  dputk::engine::FloatTensor x({1, 2, 2, 1});
  x.data = {1, 2, 3, 4};
  // nearest, asymmetric + floor (torch's nn.Upsample): each pixel repeated 2x2.
  auto g1 = dputk::import_onnx_from_string(resize_model("nearest", "asymmetric", "floor"), "rs");
  auto o1 = dputk::engine::FloatExecutor(*g1).run({&x});
  EXPECT_EQ(o1[0].data, std::vector<float>({1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // linear, align_corners: positions 0, 1/3, 2/3, 1 → row 0 = 1, 4/3, 5/3, 2.
  auto g2 = dputk::import_onnx_from_string(resize_model("linear", "align_corners", "floor"), "rs");
  auto o2 = dputk::engine::FloatExecutor(*g2).run({&x});
  EXPECT_NEAR(o2[0].data[1], 4.0f / 3, 1e-6f);
  EXPECT_NEAR(o2[0].data[15], 4.0f, 1e-6f);
  // linear, half_pixel: positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 → row 0 = 1, 1.25, 1.75, 2.
  auto g3 = dputk::import_onnx_from_string(resize_model("linear", "half_pixel", "floor"), "rs");
  auto o3 = dputk::engine::FloatExecutor(*g3).run({&x});
  EXPECT_EQ(std::vector<float>(o3[0].data.begin(), o3[0].data.begin() + 4), std::vector<float>({1, 1.25f, 1.75f, 2}));
  for (auto [mode, coord, why] : {std::tuple{"nearest", "half_pixel", "nearest resize with coordinate_transformation_mode 'half_pixel'"},
                                  std::tuple{"cubic", "half_pixel", "mode 'cubic' is not supported"}}) {
    const std::string err = dputk::test::error_of([&] { dputk::import_onnx_from_string(resize_model(mode, coord, "round_prefer_floor"), "rs"); });
    EXPECT_NE(err.find("y_node"), std::string::npos) << err;
    EXPECT_NE(err.find(why), std::string::npos) << err;
  }
}
