// Fast finetune takes a layer's inputs from the layer tuned just before when it reads that layer's
// output, and after a residual connection from the values the add reads, kept since (no network run):
// those inputs must be the ones the networks compute. Google's QAT MobileNetV1 0.25/128 (a chain of 27
// convolutions) and the CIFAR ResNet20 (identity shortcuts: add + ReLU), calibrated on 8 images and
// tuned on them, with every such input also captured from the quantized and float networks; and a
// value two layers read (ResNet's downsampling block: the block's input feeds its first convolution
// and the shortcut's), kept for the second.
#include <gtest/gtest.h>

#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dputk/data/dataset.hpp"
#include "dputk/quantizer/fast_finetune.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "onnx_test_model.hpp"
#include "small_mobilenet.hpp"
#include "test_data.hpp"

namespace {

// Fast finetune of the small MobileNet (SmallMobileNet's 8 images), calibrated on them.
dputk::FinetuneReport tune_small_mobilenet(const dputk::FinetuneOptions& fo) {
  const dputk::test::SmallMobileNet net;
  auto prepared = net.prepare();
  dputk::QuantGraph qg = net.calibrate(*prepared);
  return dputk::fast_finetune(qg, *prepared, *net.data, net.ids, net.pre, fo);
}

// The inputs computed without a network run are the networks' own, and each layer check run from the
// tuned layer's input gives the whole run's loss. Quantized inputs: on the grid and equal (both sides
// sum int8 products exactly); where the installed oneDNN fails the int8 probes both fall back to float
// sums, which may land on a rounding boundary differently: at most one LSB, rarely.
void expect_the_networks_own(const dputk::FinetuneReport& r) {
  std::printf("quantized inputs differ at %.3g of values (max %.3g LSB), float inputs by %.3g; network loss from the tuned layers' "
              "inputs against the whole run: %.3g relative\n",
              r.chain_mismatch, r.chain_max_lsb, r.chain_float_rel, r.cut_loss_rel);
  EXPECT_LE(r.chain_max_lsb, 1.0 + 1e-6);
  EXPECT_LT(r.chain_mismatch, 1e-3);
  EXPECT_LT(r.chain_float_rel, 1e-4);
  EXPECT_LE(r.cut_loss_rel, 1e-6);
}

// Fast finetune of a model on the first 8 CIFAR test images, calibrated on them, its inputs checked.
dputk::FinetuneReport tune_on_cifar(const std::string& model) {
  auto data = dputk::open_dataset(dputk::test::data_path("cifar10/test_batch.bin"));
  const dputk::Preprocess pre = dputk::Preprocess::preset("cifar");
  const std::vector<std::size_t> ids{0, 1, 2, 3, 4, 5, 6, 7};
  auto prepared = dputk::load_prepared_model(model, {}, nullptr, true);
  dputk::QuantGraph qg = dputk::calibrate_model(*prepared, *data, ids, pre, 8, {}, nullptr, true);
  dputk::FinetuneOptions fo;
  fo.check_chained_inputs = true;
  fo.max_epochs = 3;  // the inputs are what is checked, not the tuning
  return dputk::fast_finetune(qg, *prepared, *data, ids, pre, fo);
}

TEST(FastFinetuneChain, ChainedInputsAreTheNetworksOwn) {
  if (!dputk::fast_finetune_supported()) GTEST_SKIP() << "built without libtorch";
  dputk::FinetuneOptions fo;
  fo.check_chained_inputs = true;
  fo.max_epochs = 3;  // the inputs are what is checked, not the tuning
  const dputk::FinetuneReport r = tune_small_mobilenet(fo);
  int tuned = 0;
  for (const auto& l : r.layers) tuned += l.epochs > 0;
  std::printf("chained %d of %zu layers (%d tuned)\n", r.chained, r.layers.size(), tuned);
  EXPECT_GE(r.chained, 10) << "of " << r.layers.size() << " layers (" << tuned << " tuned)";
  expect_the_networks_own(r);
}

TEST(FastFinetuneChain, InputsAfterResidualAddsAreTheNetworksOwn) {
  if (!dputk::fast_finetune_supported()) GTEST_SKIP() << "built without libtorch";
  const dputk::FinetuneReport r = tune_on_cifar(dputk::test::data_path("cifar10/resnet20.onnx"));
  std::printf("%zu layers: %d chained, %d after a residual add from kept values\n", r.layers.size(), r.chained, r.from_kept);
  // Blocks 2, 3, 4 and 6: the downsampling blocks' shortcut is a slice and a pad (captured), and the
  // 8×8 stage's layers are left as calibrated on 8 images (fewer positions than 4× their fan-in).
  EXPECT_GE(r.from_kept, 4) << "identity-shortcut blocks whose first convolution took its input from kept values";
  expect_the_networks_own(r);
}

// A block as ResNet's downsampling ones: x → conv0+ReLU = a; a → conv_a+ReLU → conv_b = c; a → conv_d
// (the shortcut) = d; ReLU(c + d) → conv_e. conv_d's input is a, read after conv_a and conv_b were
// tuned: kept since conv_a, not captured by running both networks again; conv_e's from the add.
TEST(FastFinetuneChain, AValueTwoLayersReadIsKeptForTheSecond) {
  if (!dputk::fast_finetune_supported()) GTEST_SKIP() << "built without libtorch";
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "shortcut", "x", {1, 3, 32, 32});
  *g->add_initializer() = dputk::test::seeded_tensor("w0", {8, 3, 3, 3}, 1);
  *g->add_initializer() = dputk::test::seeded_tensor("wa", {8, 8, 1, 1}, 2);
  *g->add_initializer() = dputk::test::seeded_tensor("wb", {8, 8, 3, 3}, 3);
  *g->add_initializer() = dputk::test::seeded_tensor("wd", {8, 8, 1, 1}, 4);
  *g->add_initializer() = dputk::test::seeded_tensor("we", {4, 8, 1, 1}, 5);
  auto conv = [&](const std::string& in, const std::string& w, const std::string& out, std::int64_t pad) {
    auto* n = dputk::test::add_onnx_node(g, "Conv", {in, w}, out);
    dputk::test::set_onnx_attr(n, "pads", std::vector<std::int64_t>{pad, pad, pad, pad});
  };
  conv("x", "w0", "s0", 1);
  dputk::test::add_onnx_node(g, "Relu", {"s0"}, "a");
  conv("a", "wa", "sa", 0);
  dputk::test::add_onnx_node(g, "Relu", {"sa"}, "b");
  conv("b", "wb", "c", 1);
  conv("a", "wd", "d", 0);
  dputk::test::add_onnx_node(g, "Add", {"c", "d"}, "sum");
  dputk::test::add_onnx_node(g, "Relu", {"sum"}, "e");
  conv("e", "we", "y", 0);
  g->add_output()->set_name("y");
  const std::string path = testing::TempDir() + "/ff_shortcut.onnx";
  {
    std::ofstream f(path, std::ios::binary);
    f << m.SerializeAsString();
  }
  const dputk::FinetuneReport r = tune_on_cifar(path);
  std::printf("%zu layers: %d chained, %d from kept values\n", r.layers.size(), r.chained, r.from_kept);
  ASSERT_EQ(r.layers.size(), 5u);
  EXPECT_EQ(r.chained, 2) << "conv_a from conv0, conv_b from conv_a";
  EXPECT_EQ(r.from_kept, 2) << "conv_d from a, kept since conv_a; conv_e from the add";
  expect_the_networks_own(r);
}

}  // namespace

// libtorch, on its first op, sets OpenMP's thread count for the whole process to the physical cores it
// detects: 1 of this machine's 2, and fast finetune (torch's convolutions and the engine's judging runs)
// went on one core, as did everything after it. Fast finetune starts torch with the threads OpenMP had.
TEST(FastFinetuneThreads, TorchKeepsTheThreadsOpenMPHad) {
  if (!dputk::fast_finetune_supported()) GTEST_SKIP() << "built without libtorch";
  const int threads = omp_get_max_threads();
  dputk::FinetuneOptions fo;
  fo.max_epochs = 1;
  tune_small_mobilenet(fo);
  EXPECT_EQ(omp_get_max_threads(), threads);
}

// Fast finetune with its values of all images in temporary files (the CLI's way: --ft_values_dir)
// tunes exactly as with them in memory: the CIFAR ResNet20 on 8 images, its inputs computed through
// the chain and the residual adds from values held on disk, writes the same quantized graph to the byte,
// and leaves no file behind.
TEST(FastFinetuneValuesOnDisk, TuneAsInMemoryAndLeaveNoFile) {
  if (!dputk::fast_finetune_supported()) GTEST_SKIP() << "built without libtorch";
  auto data = dputk::open_dataset(dputk::test::data_path("cifar10/test_batch.bin"));
  const dputk::Preprocess pre = dputk::Preprocess::preset("cifar");
  const std::vector<std::size_t> ids{0, 1, 2, 3, 4, 5, 6, 7};
  const std::string dir = testing::TempDir() + "/ff_values";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto tuned = [&](const std::string& spill_dir, dputk::FinetuneReport* r) {
    auto prepared = dputk::load_prepared_model(dputk::test::data_path("cifar10/resnet20.onnx"), {}, nullptr, true);
    dputk::QuantGraph qg = dputk::calibrate_model(*prepared, *data, ids, pre, 8, {}, nullptr, true);
    dputk::FinetuneOptions fo;
    fo.max_epochs = 4;
    fo.spill_dir = spill_dir;
    *r = dputk::fast_finetune(qg, *prepared, *data, ids, pre, fo);
    std::string bytes;
    qg.graph->serialize_to_string(&bytes);
    return bytes;
  };
  dputk::FinetuneReport in_memory, on_disk;
  const std::string a = tuned("", &in_memory), b = tuned(dir, &on_disk);
  int changed = 0;
  for (const auto& l : on_disk.layers) changed += l.epochs > 0 && !l.reverted;
  std::printf("%d layers tuned; %d chained, %d from kept values; network loss %.6g (in memory %.6g)\n", changed, on_disk.chained,
              on_disk.from_kept, on_disk.net_loss, in_memory.net_loss);
  EXPECT_GE(changed, 3) << "layers whose tuning was kept: the comparison would not show a difference in the values";
  EXPECT_GE(on_disk.from_kept, 1);
  EXPECT_EQ(on_disk.net_loss, in_memory.net_loss);
  EXPECT_TRUE(a == b) << "quantized graphs differ";
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << dir << ": temporary files left behind";
  EXPECT_THROW(tuned(dir + "/missing", &on_disk), std::runtime_error);
}

// A layer whose first steps overshoot (learning rates 30× the default) goes back to its best parameters
// and on from them with smaller steps: most tuned layers end below where they started (their loss over
// all 8 images; before the fix, 4 of 25 did).
TEST(FastFinetuneSteps, AnOvershootingLayerStepsOnWithSmallerSteps) {
  if (!dputk::fast_finetune_supported()) GTEST_SKIP() << "built without libtorch";
  dputk::FinetuneOptions fo;
  fo.lr_factor = 0.3;
  fo.max_epochs = 12;
  const dputk::FinetuneReport r = tune_small_mobilenet(fo);
  int tuned = 0, lower = 0;
  for (const auto& l : r.layers) {
    if (l.epochs == 0) continue;
    ++tuned;
    lower += l.loss_after < l.loss_before * 0.999;
    std::printf("  %-32s %.6g -> %.6g (%d epochs)\n", l.op.c_str(), l.loss_before, l.loss_after, l.epochs);
  }
  ASSERT_GE(tuned, 10);
  EXPECT_GE(lower, tuned / 2) << "of " << tuned << " tuned layers ended below their calibrated loss";
}
