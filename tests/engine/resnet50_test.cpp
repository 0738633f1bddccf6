// ResNet50 exported by scripts/export_torchvision.py (the ctest fixture export_resnet50) imports and
// runs, and its float output matches torch's on the same inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "dputk/data/batch.hpp"
#include "dputk/compiler/partition.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "dputk/common/npy.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "test_data.hpp"

namespace {

std::string stem() { return std::string(DPU_RESNET50_STEM); }

TEST(ResNet50, FloatOutputMatchesTorch) {
  auto graph = dputk::import_onnx(stem() + ".onnx");
  int convs = 0;
  for (const xir::Op* op : graph->get_ops()) convs += op->get_type() == "conv2d";
  EXPECT_EQ(convs, 53);
  auto in = dputk::read_npy(stem() + "_ref_input.npy");
  auto ref = dputk::read_npy(stem() + "_ref_logits.npy");
  const int n = static_cast<int>(in.shape[0]);
  auto x = dputk::test::nhwc_from_npy(in);
  dputk::engine::FloatExecutor exec(*graph);
  auto out = exec.run({&x});
  ASSERT_EQ(out[0].numel(), ref.size());
  float max_err = 0.0f, max_ref = 0.0f;
  for (std::size_t i = 0; i < ref.data.size(); ++i) {
    max_err = std::max(max_err, std::fabs(out[0].data[i] - ref.data[i]));
    max_ref = std::max(max_ref, std::fabs(ref.data[i]));
  }
  RecordProperty("max_abs_err", std::to_string(max_err));
  EXPECT_LE(max_err, 1e-3f * std::max(1.0f, max_ref)) << "max |logit| " << max_ref;
  // Same top-1 class for every input.
  const int classes = static_cast<int>(ref.size() / n);
  for (int b = 0; b < n; ++b) {
    auto arg = [&](const float* p) { return std::max_element(p, p + classes) - p; };
    EXPECT_EQ(arg(out[0].data.data() + b * classes), arg(ref.data.data() + b * classes));
  }
}

// Quantized (calibrated on 2 ImageNet images: the structure, not the accuracy, matters here) and
// compiled with the builtin backend, ResNet50 is one DPU subgraph between the USER input and the CPU
// fix2float, as vai_c_xir makes it; the partitioned graph computes what the lowered one does.
TEST(ResNet50, CompilesToExactlyOneDpuSubgraph) {
  auto prepared = dputk::load_prepared_model(stem() + ".onnx", {});
  auto data = dputk::open_dataset(dputk::test::data_path("imagenet/val_500"), dputk::test::data_path("imagenet/val_500.txt"));
  const auto pre = dputk::Preprocess::preset("torchvision");
  auto q = dputk::calibrate_model(*prepared, *data, {0, 1}, pre, 2, {});
  auto lowered = dputk::lower_to_fix_form(*q.graph);
  auto compiled = dputk::lower_to_fix_form(*q.graph);
  const auto report = dputk::compiler::partition_for_dpu(*compiled, dputk::compiler::target_by_name("DPUCZDX8G_ISA1_B4096"));
  EXPECT_EQ(report.device_subgraphs(), 3) << report.text();
  EXPECT_EQ(report.dpu_subgraphs(), 1) << report.text();
  int cpu_ops = 0, convs = 0;
  for (const auto& op : report.ops) {
    cpu_ops += op.device == "CPU";
    convs += op.type == "conv2d-fix";
  }
  EXPECT_EQ(cpu_ops, 1);  // fix2float
  EXPECT_EQ(convs, 54);   // 53 convolutions + the FC as a 1×1 conv2d-fix
  std::string bytes;
  compiled->serialize_to_string(&bytes);
  auto back = xir::Graph::deserialize_from_string(bytes);
  dputk::engine::DpuExecutor a(*back), b(*lowered);
  auto batch = dputk::make_batch(*data, {2, 3}, pre);
  const auto in = dputk::engine::quantize_tensor(batch.input, a.input_fix_point(0));
  EXPECT_TRUE(a.run({&in})[0].data == b.run({&in})[0].data);
}

}  // namespace
