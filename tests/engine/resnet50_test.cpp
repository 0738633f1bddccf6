// ResNet50 exported by scripts/export_torchvision.py (the ctest fixture export_resnet50) imports and
// runs, and its float output matches torch's on the same inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "dputk/engine/float_executor.hpp"
#include "dputk/npy.hpp"
#include "dputk/onnx_import.hpp"
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

}  // namespace
