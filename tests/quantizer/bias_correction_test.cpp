// Bias correction against the float network's statistics (no float run of its own): on the images it
// corrected on, the quantized network's per-channel mean output error of every corrected layer
// shrinks to what the biases' grid leaves. Google's QAT MobileNetV1 0.25/128 (ReLU6 kept), 8 images.
// Corrected at the residual adds, CIFAR ResNet32's output error against float on other images falls
// by far more than at the layers (the shortcuts' mean error through the ReLUs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dputk/data/batch.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/quantizer/bias_correction.hpp"
#include "dputk/quantizer/evaluate.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "small_mobilenet.hpp"

namespace {

// Mean over the layers' channels of |E[y_q] − E[y_f]| (each layer's own output, before its activation),
// the float side from the statistics' per-image sums.
double mean_abs_error(const dputk::QuantGraph& qg, const dputk::ChannelStats& reference, const dputk::engine::FloatTensor& input,
                      int* layers) {
  dputk::engine::FloatExecutorOptions eo;
  eo.fuse = false;  // fix ops at their calibrated fix points
  dputk::engine::FloatExecutor exec(*qg.graph, eo);
  double total = 0.0, channels = 0.0;
  *layers = 0;
  exec.run({&input}, [&](const xir::Op* op, dputk::engine::FloatTensor& v) {
    if (op->get_type() != "conv2d" && op->get_type() != "depthwise-conv2d") return;
    auto it = reference.find(op->get_name());
    if (it == reference.end() || !op->get_input_op("bias")) return;
    const dputk::ChannelStat& s = it->second;
    const std::size_t c = s.max.size();
    const std::size_t images = s.image_sums.size() / c;
    const double positions = static_cast<double>(v.data.size() / c);
    for (std::size_t k = 0; k < c; ++k) {
      double q = 0.0, f = 0.0;
      for (std::size_t i = k; i < v.data.size(); i += c) q += v.data[i];
      for (std::size_t i = 0; i < images; ++i) f += s.image_sums[i * c + k];
      total += std::fabs(q - f) / positions;
    }
    channels += static_cast<double>(c);
    ++*layers;
  });
  return total / channels;
}

TEST(BiasCorrection, TakesOutTheMeanErrorAgainstTheFloatStatistics) {
  const dputk::test::SmallMobileNet net;
  dputk::ChannelStats stats;
  auto prepared = net.prepare(&stats);
  dputk::QuantGraph qg = net.calibrate(*prepared);
  const auto batch = dputk::make_batch(*net.data, net.ids, net.pre);
  int before_layers = 0, after_layers = 0;
  const double before = mean_abs_error(qg, stats, batch.input, &before_layers);
  const dputk::BiasCorrectionResult r = dputk::correct_biases(qg, stats, *net.data, net.ids, net.pre, {}, true);
  const double after = mean_abs_error(qg, stats, batch.input, &after_layers);
  std::printf("%d layers corrected; mean |E[y_q] - E[y_f]| per channel %.4g -> %.4g\n", r.layers, before, after);
  EXPECT_EQ(r.layers, before_layers);
  EXPECT_GE(r.layers, 20);
  EXPECT_LT(after, 0.35 * before);
  // Statistics over other images than those corrected on are refused.
  const std::vector<std::size_t> other{8, 9};
  EXPECT_THROW(dputk::correct_biases(qg, stats, *net.data, other, net.pre, {}, true), std::logic_error);
  // The auto choices' trials correct on the first images of the statistics: first_images keeps those
  // images' sums (and every other statistic over all images).
  const std::vector<std::size_t> first4(net.ids.begin(), net.ids.begin() + 4);
  EXPECT_THROW(dputk::correct_biases(qg, stats, *net.data, first4, net.pre, {}, true), std::logic_error);
  const dputk::ChannelStats cut = dputk::first_images(stats, first4.size());
  ASSERT_EQ(cut.size(), stats.size());
  for (const auto& [name, s] : stats) {
    const dputk::ChannelStat& c = cut.at(name);
    EXPECT_EQ(c.max, s.max);
    EXPECT_EQ(c.mean_square, s.mean_square);
    ASSERT_EQ(c.image_sums.size(), std::min(s.image_sums.size(), first4.size() * s.max.size())) << name;
    EXPECT_TRUE(std::equal(c.image_sums.begin(), c.image_sums.end(), s.image_sums.begin())) << name;
  }
  EXPECT_GE(dputk::correct_biases(qg, cut, *net.data, first4, net.pre, {}, true).layers, 20);
}

TEST(BiasCorrection, AtResidualAddsTakesOutTheShortcutsMeanError) {
  const std::string model = dputk::test::data_path("cifar10/resnet32.onnx");
  auto data = dputk::open_dataset(dputk::test::data_path("cifar10/test_batch.bin"));
  const auto pre = dputk::Preprocess::preset("cifar");
  // The file is sorted by class: every 150th image (all classes) to calibrate, others to measure on.
  std::vector<std::size_t> calib, held_out;
  for (std::size_t i = 0; i < 64; ++i) {
    calib.push_back(i * 150);
    held_out.push_back(i * 150 + 75);
  }
  dputk::PrepareOptions po;
  dputk::ChannelStats stats;
  po.channel_stats = [&](const xir::Graph& g) { return dputk::gather_channel_stats(g, *data, calib, pre, 8); };
  po.prepared_stats = &stats;
  auto prepared = dputk::load_prepared_model(model, po, nullptr, true);
  ASSERT_TRUE(dputk::has_residual_add_targets(*prepared));
  EXPECT_FALSE(dputk::has_residual_add_targets(*dputk::test::SmallMobileNet().prepare()));  // no adds
  const dputk::FloatReference reference(*dputk::load_prepared_model(model, {false, false}, nullptr, true), *data, held_out, pre, 8);
  double db[2];
  dputk::BiasCorrectionResult r[2];
  for (int at_adds = 0; at_adds < 2; ++at_adds) {
    dputk::QuantGraph qg = dputk::calibrate_model(*prepared, *data, calib, pre, 8, {}, nullptr, true);
    const auto target = at_adds ? dputk::BiasTarget::RESIDUAL_ADDS : dputk::BiasTarget::LAYERS;
    r[at_adds] = dputk::correct_biases(qg, stats, *data, calib, pre, {}, true, target);
    db[at_adds] = reference.compare(*qg.graph).sqnr_db();
  }
  std::printf("ResNet32 output SQNR vs float on 64 other images: corrected at the layers %.2f dB, at the residual adds %.2f dB\n", db[0], db[1]);
  EXPECT_EQ(r[1].layers, r[0].layers);  // the same biases, 15 of them measured at the adds (3 blocks x 5)
  EXPECT_EQ(r[0].at_adds, 0);
  EXPECT_EQ(r[1].at_adds, 15);
  EXPECT_GT(db[1], db[0] + 5.0);
}

}  // namespace
