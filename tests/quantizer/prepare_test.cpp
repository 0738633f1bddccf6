// Graph preparation: a zero Pad before an average pool or a convolution becomes its padding (PyTorch
// exports AvgPool2d(padding) as Pad → AveragePool); the prepared graph computes the same values, has
// no pad op left, and a non-zero or channel pad is left alone.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "dputk/engine/float_executor.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "dputk/quantizer/prepare.hpp"
#include "onnx_test_model.hpp"

namespace {

using dputk::test::add_onnx_node;
using dputk::test::set_onnx_attr;

std::string pad_model(float value) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "pads", "x", {1, 4, 8, 8});
  *g->add_initializer() = dputk::test::seeded_tensor("w", {6, 4, 3, 3}, 5);
  *g->add_initializer() = dputk::test::int64_tensor("p1", {0, 0, 1, 1, 0, 0, 1, 1});  // NCHW begins, then ends
  *g->add_initializer() = dputk::test::int64_tensor("p2", {0, 0, 0, 2, 0, 0, 1, 0});  // asymmetric
  *g->add_initializer() = dputk::test::float_tensor("v", {}, {value});
  add_onnx_node(g, "Pad", {"x", "p1", "v"}, "xp1");
  set_onnx_attr(add_onnx_node(g, "AveragePool", {"xp1"}, "avg"), "kernel_shape", std::vector<std::int64_t>{3, 3});
  add_onnx_node(g, "Pad", {"avg", "p2"}, "xp2");
  add_onnx_node(g, "Conv", {"xp2", "w"}, "y");
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

int count_type(const xir::Graph& g, const std::string& type) {
  int n = 0;
  for (const xir::Op* op : g.topological_sort()) n += op->get_type() == type;
  return n;
}

TEST(Prepare, ZeroPadsFoldIntoTheAveragePoolAndConvolutionAfterThem) {
  auto plain = dputk::import_onnx_from_string(pad_model(0.0f), "pads");
  auto folded = dputk::import_onnx_from_string(pad_model(0.0f), "pads");
  const auto log = dputk::prepare_graph(*folded, {false, false});
  EXPECT_EQ(count_type(*plain, "pad"), 2);
  EXPECT_EQ(count_type(*folded, "pad"), 0);
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log[0].find("2 ops"), std::string::npos) << log[0];
  dputk::engine::FloatTensor x({1, 8, 8, 4});
  for (std::size_t i = 0; i < x.data.size(); ++i) x.data[i] = std::sin(0.37f * static_cast<float>(i)) * 3.0f;
  for (bool fast : {false, true}) {
    dputk::engine::FloatExecutor a(*plain, {fast}), b(*folded, {fast});
    const auto ya = a.run({&x}), yb = b.run({&x});
    ASSERT_EQ(ya[0].shape, yb[0].shape);
    for (std::size_t i = 0; i < ya[0].data.size(); ++i) EXPECT_NEAR(ya[0].data[i], yb[0].data[i], 1e-5f) << i;
  }
}

TEST(Prepare, ANonZeroPadStays) {
  auto g = dputk::import_onnx_from_string(pad_model(1.5f), "pads");
  dputk::prepare_graph(*g, {false, false});
  EXPECT_EQ(count_type(*g, "pad"), 1);  // the first (value 1.5) stays; the second (zeros) folds into the conv
}

// VGG / AlexNet: Conv → Relu → Flatten (NCHW order, so a transpose) → Gemm / MatMul. Preparation
// permutes the fully connected weights instead; the transpose is gone and the values are the same.
std::string flatten_model(bool gemm) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "vgg_tail", "x", {1, 3, 5, 5});
  *g->add_initializer() = dputk::test::seeded_tensor("w", {4, 3, 3, 3}, 7);
  *g->add_initializer() = dputk::test::seeded_tensor(gemm ? "fc" : "fcT", gemm ? std::vector<std::int64_t>{6, 36} : std::vector<std::int64_t>{36, 6}, 8);
  *g->add_initializer() = dputk::test::seeded_tensor("fb", {6}, 9);
  add_onnx_node(g, "Conv", {"x", "w"}, "c");  // 3×3 valid: [1,4,3,3]
  add_onnx_node(g, "Relu", {"c"}, "r");
  add_onnx_node(g, "Flatten", {"r"}, "f");
  if (gemm) set_onnx_attr(add_onnx_node(g, "Gemm", {"f", "fc", "fb"}, "y"), "transB", std::int64_t{1});
  else add_onnx_node(g, "MatMul", {"f", "fcT"}, "y");
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

TEST(Prepare, AnNchwFlattenIsAbsorbedIntoTheFullyConnectedWeights) {
  for (bool gemm : {true, false}) {
    auto plain = dputk::import_onnx_from_string(flatten_model(gemm), "vgg_tail");
    auto prepared = dputk::import_onnx_from_string(flatten_model(gemm), "vgg_tail");
    ASSERT_EQ(count_type(*plain, "transpose"), 1);
    dputk::prepare_graph(*prepared, {false, false});
    EXPECT_EQ(count_type(*prepared, "transpose"), 0) << (gemm ? "Gemm" : "MatMul");
    dputk::engine::FloatTensor x({1, 5, 5, 3});
    for (std::size_t i = 0; i < x.data.size(); ++i) x.data[i] = std::cos(0.23f * static_cast<float>(i));
    dputk::engine::FloatExecutor a(*plain, {false}), b(*prepared, {false});
    const auto ya = a.run({&x}), yb = b.run({&x});
    ASSERT_EQ(ya[0].data.size(), 6u);
    for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(ya[0].data[i], yb[0].data[i], 1e-5f) << i;
  }
}

// DenseNet: BatchNormalization → Relu → Conv, the BN after no convolution. It becomes a 1×1 depthwise
// convolution (scale γ/√(σ²+ε), bias β − μ·scale) that the DPU runs; same values.
TEST(Prepare, ALoneBatchNormBecomesADepthwiseConvolution) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "dense", "x", {1, 4, 5, 5});
  *g->add_initializer() = dputk::test::float_tensor("gamma", {4}, {1.5f, 0.5f, -2.0f, 1.0f});
  *g->add_initializer() = dputk::test::float_tensor("beta", {4}, {0.1f, -0.2f, 0.3f, 0.0f});
  *g->add_initializer() = dputk::test::float_tensor("mean", {4}, {0.5f, -1.0f, 0.0f, 2.0f});
  *g->add_initializer() = dputk::test::float_tensor("var", {4}, {1.0f, 4.0f, 0.25f, 9.0f});
  *g->add_initializer() = dputk::test::seeded_tensor("w", {3, 4, 1, 1}, 4);
  add_onnx_node(g, "BatchNormalization", {"x", "gamma", "beta", "mean", "var"}, "bn");
  add_onnx_node(g, "Relu", {"bn"}, "r");
  add_onnx_node(g, "Conv", {"r", "w"}, "y");
  g->add_output()->set_name("y");
  const std::string bytes = m.SerializeAsString();
  auto plain = dputk::import_onnx_from_string(bytes, "dense");
  auto prepared = dputk::import_onnx_from_string(bytes, "dense");
  const auto log = dputk::prepare_graph(*prepared, {false, false});
  EXPECT_EQ(count_type(*prepared, "batchnorm"), 0);
  EXPECT_EQ(count_type(*prepared, "depthwise-conv2d"), 1);
  dputk::engine::FloatTensor x({1, 5, 5, 4});
  for (std::size_t i = 0; i < x.data.size(); ++i) x.data[i] = std::sin(0.41f * static_cast<float>(i)) * 2.0f;
  dputk::engine::FloatExecutor a(*plain, {false}), b(*prepared, {false});
  const auto ya = a.run({&x}), yb = b.run({&x});
  ASSERT_EQ(ya[0].data.size(), yb[0].data.size());
  for (std::size_t i = 0; i < ya[0].data.size(); ++i) EXPECT_NEAR(ya[0].data[i], yb[0].data[i], 1e-5f) << i;
}

}  // namespace

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dputk/data/batch.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/quantizer/outlier_split.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "small_mobilenet.hpp"
#include "test_data.hpp"

namespace {

// Statistics carried through a preparation step (c) agree with a new pass over the prepared graph (f);
// returns the channels compared.
int expect_stats_equal(const dputk::ChannelStat& c, const dputk::ChannelStat& f, const std::string& name, std::size_t* sums = nullptr) {
  EXPECT_EQ(c.max.size(), f.max.size()) << name;
  if (c.max.size() != f.max.size()) return 0;
  for (std::size_t k = 0; k < f.max.size(); ++k) {
    EXPECT_NEAR(c.max[k], f.max[k], 1e-4 * (1 + std::fabs(f.max[k]))) << name << " channel " << k;
    EXPECT_NEAR(c.min[k], f.min[k], 1e-4 * (1 + std::fabs(f.min[k]))) << name << " channel " << k;
    EXPECT_NEAR(c.mean[k], f.mean[k], 1e-3 * (1e-6 + std::fabs(f.mean[k]))) << name << " channel " << k;
    EXPECT_NEAR(c.mean_square[k], f.mean_square[k], 1e-3 * (1e-6 + f.mean_square[k])) << name << " channel " << k;
  }
  EXPECT_EQ(c.image_sums.size(), f.image_sums.size()) << name;
  for (std::size_t i = 0; i < f.image_sums.size() && i < c.image_sums.size(); ++i)
    EXPECT_NEAR(c.image_sums[i], f.image_sums[i], 1e-3 * (1 + std::fabs(f.image_sums[i]))) << name << " sum " << i;
  if (sums) *sums += f.image_sums.size();
  return static_cast<int>(f.max.size());
}

// The same, as a predicate: every statistic of every channel within those tolerances.
bool stats_close(const dputk::ChannelStat& c, const dputk::ChannelStat& f) {
  auto near = [](double a, double b, double tol) { return std::fabs(a - b) <= tol; };
  if (c.max.size() != f.max.size() || c.image_sums.size() != f.image_sums.size()) return false;
  for (std::size_t k = 0; k < f.max.size(); ++k)
    if (!near(c.max[k], f.max[k], 1e-4 * (1 + std::fabs(f.max[k]))) || !near(c.min[k], f.min[k], 1e-4 * (1 + std::fabs(f.min[k]))) ||
        !near(c.mean[k], f.mean[k], 1e-3 * (1e-6 + std::fabs(f.mean[k]))) ||
        !near(c.mean_square[k], f.mean_square[k], 1e-3 * (1e-6 + f.mean_square[k])))
      return false;
  for (std::size_t i = 0; i < f.image_sums.size(); ++i)
    if (!near(c.image_sums[i], f.image_sums[i], 1e-3 * (1 + std::fabs(f.image_sums[i])))) return false;
  return true;
}

// SQNR (dB) of network b's output against network a's on the images.
double output_sqnr(const xir::Graph& a, const xir::Graph& b, const dputk::Dataset& data, const std::vector<std::size_t>& ids,
                   const dputk::Preprocess& pre) {
  dputk::engine::FloatExecutor ea(a), eb(b);
  auto batch = dputk::make_batch(data, ids, pre);
  const auto ya = ea.run({&batch.input})[0], yb = eb.run({&batch.input})[0];
  EXPECT_EQ(ya.data.size(), yb.data.size());
  double sig = 0, noise = 0;
  for (std::size_t i = 0; i < ya.data.size() && i < yb.data.size(); ++i) {
    sig += static_cast<double>(ya.data[i]) * ya.data[i];
    noise += (static_cast<double>(ya.data[i]) - yb.data[i]) * (static_cast<double>(ya.data[i]) - yb.data[i]);
  }
  return 10.0 * std::log10(sig / std::max(noise, 1e-30));
}

// Google's QAT MobileNetV1 0.5/160 on 16 calibration images, prepared with statistics (ReLU6 kept).
struct StatPrepared {
  std::unique_ptr<dputk::Dataset> data = dputk::open_dataset(dputk::test::data_path("imagenet/val_500"), dputk::test::data_path("imagenet/val_500.txt"));
  dputk::Preprocess pre = [] {
    dputk::Preprocess p = dputk::Preprocess::preset("inception");
    p.resize = 182;
    p.crop = 160;
    return p;
  }();
  const std::vector<std::size_t> ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const std::string model = dputk::test::data_path("imagenet/mobilenet_v1_0.5_160_quant_dequant.onnx");
  std::unique_ptr<xir::Graph> original = dputk::load_prepared_model(model, {false, false});
  std::unique_ptr<xir::Graph> prepared;
  dputk::ChannelStats carried, fresh;  // carried through the preparation; a new pass over the prepared graph
  std::string log;

  explicit StatPrepared(bool absorb) {
    dputk::PrepareOptions po;
    po.relu6_replace = "keep";
    po.absorb_relu6_offsets = absorb;
    po.channel_stats = [&](const xir::Graph& g) { return dputk::gather_channel_stats(g, *data, ids, pre, 8); };
    po.prepared_stats = &carried;
    std::vector<std::string> lines;
    prepared = dputk::load_prepared_model(model, po, &lines);
    for (const auto& l : lines) log += l + "\n";
    fresh = dputk::gather_channel_stats(*prepared, *data, ids, pre, 8);
  }
  int expect_carried_equal_fresh(const std::string& name, std::size_t* sums = nullptr) const {
    return expect_stats_equal(carried.at(name), fresh.at(name), name, sums);
  }
  // SQNR (dB) of the prepared network's output against the original's on the calibration images.
  double output_sqnr() const { return ::output_sqnr(*original, *prepared, *data, ids, pre); }
};

float weight_range(const xir::Graph& g, const std::string& conv) {
  float r = 0.0f;
  for (float v : dputk::const_values(*g.get_op(conv)->get_input_op("weights"))) r = std::max(r, std::fabs(v));
  return r;
}

// The data-driven preparation (dead channels zeroed, equalization across ReLU6 only where the clip
// does not bind) leaves the function unchanged on the calibration images.
TEST(PrepareWithStatistics, MobileNetV1KeepsItsOutputsOnTheCalibrationImages) {
  const StatPrepared p(/*absorb=*/false);
  // The statistics carried through the preparation (channels scaled by equalization) are those of a new
  // pass over the prepared graph: what the depthwise weight fix points read, without that pass.
  ASSERT_EQ(p.carried.size(), p.fresh.size());
  int compared = 0;
  std::size_t sums = 0;
  for (const auto& [name, f] : p.fresh) compared += p.expect_carried_equal_fresh(name, &sums);
  EXPECT_GT(compared, 1000);
  EXPECT_GT(sums, 1000u) << "per-image sums of the layers (bias correction's reference)";
  EXPECT_NE(p.log.find("channels that are 0 on every calibration image set to 0"), std::string::npos) << p.log;
  EXPECT_NE(p.log.find("across a ReLU6, on channels whose clip does not bind"), std::string::npos) << p.log;
  EXPECT_GT(p.output_sqnr(), 80.0) << "the prepared network computes something else";
  // Without the statistics, equalization would not cross a ReLU6 at all.
  dputk::PrepareOptions plain;
  plain.relu6_replace = "keep";
  std::vector<std::string> log2;
  dputk::load_prepared_model(p.model, plain, &log2);
  for (const auto& l : log2) EXPECT_EQ(l.find("across a ReLU6"), std::string::npos) << l;
}

// Offsets under a ReLU6 absorbed into the consumer whose weight range they set: op4's channel 3 never
// falls below 2.16, and op5 (depthwise) reads it with −11.2 at the centre tap, above every other
// channel's weights (≤ 7.5) — after the absorption op5's weights fit fix point 4 (|w| ≤ 127/16). The
// carried statistics of the shifted values are a fresh pass's, and the network changes only where a
// consumer's window meets its padding.
TEST(PrepareWithStatistics, ReLU6OffsetsAbsorbedWhereTheySetTheNextLayersRange) {
  const StatPrepared off(/*absorb=*/false), on(/*absorb=*/true);
  EXPECT_NE(on.log.find("absorbed into the next layer, whose weight range they set"), std::string::npos) << on.log;
  const std::string op5 = "op5_depthwise_conv_2d_out";
  EXPECT_GT(weight_range(*off.prepared, op5), 127.0f / 16);
  EXPECT_LE(weight_range(*on.prepared, op5), 127.0f / 16);
  // op4 (its output before the ReLU6) and the ReLU6 after it: shifted by beta and scaled.
  const xir::Op* relu6 = on.prepared->get_op(op5)->get_input_op("input");
  ASSERT_TRUE(relu6 && dputk::dpu::is_relu6(*relu6));
  EXPECT_GT(on.expect_carried_equal_fresh(relu6->get_name()), 0);
  EXPECT_GT(on.expect_carried_equal_fresh(relu6->get_input_op("input")->get_name()), 0);
  EXPECT_LT(on.carried.at(relu6->get_name()).min[3], 0.01f) << "channel 3 now starts at 0";
  const double sqnr = on.output_sqnr();
  std::printf("output SQNR against the original with offsets absorbed: %.1f dB\n", sqnr);
  EXPECT_GT(sqnr, 20.0);
}

// Outlier channel splitting on MobileNetV1 0.25 (ReLU6 kept, prepared with 8 images' statistics): op6
// (32×32 pointwise) has one weight of 4.52, on input channel 24, and its next largest 3.05, so its
// calibrated weight fix point is 4 for all 1024 weights. Split, op6 reads channel 24 twice with half
// the weights and gets fix point 5; op4 (pointwise) computes channel 24 twice and op5 (depthwise)
// filters both copies. The network computes the same outputs, and the statistics carried through the
// split are a new pass's.
TEST(PrepareWithStatistics, OutlierChannelSplittingGivesALayerAFinerWeightFixPoint) {
  const dputk::test::SmallMobileNet net;
  dputk::ChannelStats stats;
  const auto prepared = net.prepare(&stats);
  const dputk::ChannelStats carried = stats;  // as the preparation leaves them
  std::string bytes;
  prepared->serialize_to_string(&bytes);
  const auto split = xir::Graph::deserialize_from_string(bytes);
  const dputk::CalibOptions calib;
  const auto log = dputk::split_outlier_channels(*split, stats, calib);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("channels computed twice"), std::string::npos) << log[0];
  auto fix_point = [&](const xir::Graph& g, const std::string& conv) {
    const auto w = dputk::const_values(*g.get_op(conv)->get_input_op("weights"));
    return dputk::weight_fix_point(w.data(), static_cast<std::int64_t>(w.size()), nullptr, calib);
  };
  auto dims = [](const xir::Graph& g, const std::string& conv) { return g.get_op(conv)->get_input_op("weights")->get_output_tensor()->get_shape(); };
  EXPECT_EQ(fix_point(*prepared, "op6_conv_2d_out"), 4);
  EXPECT_EQ(fix_point(*split, "op6_conv_2d_out"), 5);
  EXPECT_EQ(dims(*split, "op4_conv_2d_out"), (std::vector<std::int32_t>{33, 1, 1, 16}));
  EXPECT_EQ(dims(*split, "op5_depthwise_conv_2d_out"), (std::vector<std::int32_t>{1, 3, 3, 33}));
  EXPECT_EQ(dims(*split, "op6_conv_2d_out"), (std::vector<std::int32_t>{32, 1, 1, 33}));
  int layers = 0;  // every layer split has a finer fix point
  for (const xir::Op* op : split->topological_sort()) {
    if (op->get_type() != "conv2d" || dims(*split, op->get_name()) == dims(*prepared, op->get_name())) continue;
    if (dims(*split, op->get_name())[0] != dims(*prepared, op->get_name())[0]) continue;  // a producer: a row more
    EXPECT_GT(fix_point(*split, op->get_name()), fix_point(*prepared, op->get_name())) << op->get_name();
    ++layers;
  }
  EXPECT_GE(layers, 1);
  // Where the preparation's own statistics are a new pass's (the offset absorption's are not where a
  // window meets the padding), the split's are too; the values computed twice among them.
  const dputk::ChannelStats before = dputk::gather_channel_stats(*prepared, *net.data, net.ids, net.pre, 8);
  const dputk::ChannelStats after = dputk::gather_channel_stats(*split, *net.data, net.ids, net.pre, 8);
  ASSERT_EQ(stats.size(), after.size());
  int exact = 0, grown = 0;
  for (const auto& [name, f] : after) {
    if (!stats_close(carried.at(name), before.at(name))) continue;
    EXPECT_TRUE(stats_close(stats.at(name), f)) << name;
    ++exact;
    grown += f.max.size() > before.at(name).max.size();
  }
  EXPECT_GT(exact, 20);
  EXPECT_GE(grown, 4) << "op4, op5 and their ReLU6s at least";
  EXPECT_GT(output_sqnr(*prepared, *split, *net.data, net.ids, net.pre), 80.0) << "the split network computes something else";
}

}  // namespace
