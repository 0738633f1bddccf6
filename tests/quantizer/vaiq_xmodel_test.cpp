// Xilinx's own files on our integer DPU executor, against the independent int8 reference for all
// 10000 MNIST test images (README of ../shared/data: top-1 99.05%):
//  - the vai_q_pytorch quantized CNN_int.xmodel, lowered by our compiler bridge;
//  - the vai_c_xir compiled CNN_kv260.xmodel as is (weights read from the DPU subgraph's
//    reg_id_to_parameter_value at each tensor's ddr_addr);
//  - CNN_int.xmodel compiled by our builtin dpu-compile backend (read back from its file).
// The fast (oneDNN) and reference kernels agree.
#include <gtest/gtest.h>

#include "dputk/common/atomic_file.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/quantizer/calibrate.hpp"
#include "dputk/quantizer/const_data.hpp"
#include "dputk/compiler/compile.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/compiler/lower.hpp"
#include "test_data.hpp"

using dputk::test::data_path;

namespace {

enum class Form { lowered_CNN_int, vai_c_xir_CNN_kv260, builtin_compiled_CNN_int };

std::string form_name(const ::testing::TestParamInfo<Form>& info) {
  switch (info.param) {
    case Form::lowered_CNN_int: return "quantized_CNN_int";
    case Form::vai_c_xir_CNN_kv260: return "compiled_CNN_kv260";
    default: return "builtin_compiled_CNN_int";
  }
}

class VaiqCnnOnMnist : public ::testing::TestWithParam<Form> {};

TEST_P(VaiqCnnOnMnist, BitExactWithTheReferenceOnAll10000Images) {
  std::unique_ptr<xir::Graph> low;
  if (GetParam() == Form::vai_c_xir_CNN_kv260) {
    low = xir::Graph::deserialize(data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel"));
  } else if (GetParam() == Form::builtin_compiled_CNN_int) {
    dputk::compiler::CompileOptions o;
    o.xmodel = data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel");
    o.arch = std::string(DPU_SOURCE_DIR) + "/board/kv260/arch.json";
    o.output_dir = dputk::test::scratch_dir("vaiq_cnn_builtin");
    o.net_name = "CNN_kv260";
    o.backend = "builtin";
    low = xir::Graph::deserialize(dputk::compiler::compile_model(o).xmodel_path);
  } else {
    auto q = xir::Graph::deserialize(data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel"));
    low = dputk::lower_to_fix_form(*q);
  }
  int convs = 0;
  for (const xir::Op* op : low->get_ops()) convs += op->get_type() == "conv2d-fix";
  EXPECT_EQ(convs, 4);
  dputk::engine::DpuExecutor fast(*low, {true}), ref(*low, {false});
  ASSERT_EQ(fast.input_fix_point(0), 6);
  auto data = dputk::open_dataset(data_path("mnist/t10k-images-idx3-ubyte.gz"));
  const std::string expected = dputk::read_file(data_path("xmodels/kv260_mnist_cnn/reference_logits_int8_10000x10.bin"));
  ASSERT_EQ(expected.size(), 100000u);
  auto pre = dputk::Preprocess::preset("mnist");
  std::size_t identical = 0, correct = 0, fast_eq_ref = 0;
  for (std::size_t off = 0; off < 10000; off += 500) {
    std::vector<std::size_t> ids;
    for (std::size_t i = off; i < off + 500; ++i) ids.push_back(i);
    auto b = dputk::make_batch(*data, ids, pre);
    const auto in = dputk::engine::quantize_tensor(b.input, 6);
    auto out = fast.run({&in});
    auto out_ref = off < 1000 ? ref.run({&in}) : out;  // reference loops on the first 1000 (slow)
    for (std::size_t i = 0; i < ids.size(); ++i) {
      bool same = true;
      int arg = 0;
      for (int c = 0; c < 10; ++c) {
        same = same && out[0].data[i * 10 + c] == static_cast<std::int8_t>(expected[(off + i) * 10 + c]);
        if (out[0].data[i * 10 + c] > out[0].data[i * 10 + arg]) arg = c;
      }
      identical += same;
      correct += arg == b.labels[i];
    }
    fast_eq_ref += out[0].data == out_ref[0].data;
  }
  EXPECT_EQ(identical, 10000u);
  EXPECT_EQ(correct, 9905u);  // 99.05%
  EXPECT_EQ(fast_eq_ref, 20u);
}

INSTANTIATE_TEST_SUITE_P(XilinxFiles, VaiqCnnOnMnist,
                         ::testing::Values(Form::lowered_CNN_int, Form::vai_c_xir_CNN_kv260, Form::builtin_compiled_CNN_int),
                         form_name);

}  // namespace

namespace {

// vai_q_pytorch's chosen parameter fix points against our search (spec §2.3: diffs, scope 5,
// STD_ROUND). Its float weights are not published — the xmodel holds them already on its grid — so
// this checks that our search, run on those tensors, lands where vai_q's did: the fix-point formula,
// the rounding and the tie rule, not an independent calibration.
TEST(VaiqXmodels, OurParameterSearchReproducesTheirFixPoints) {
  for (const char* file : {"xmodels/cifar_resnet20_vaiq/CifarResNet_int.xmodel", "xmodels/kv260_mnist_cnn/CNN_int.xmodel"}) {
    auto g = xir::Graph::deserialize(data_path(file));
    int params = 0, same = 0;
    std::string differ;
    for (const xir::Op* fix : g->get_ops()) {
      if (fix->get_type() != "fix" || fix->get_input_op("input")->get_type() != "const") continue;
      const auto values = dputk::const_values(*fix->get_input_op("input"));
      const int theirs = fix->get_attr<std::int32_t>("fix_point");
      const int ours = std::min(12, dputk::diffs_fix_point(values.data(), static_cast<std::int64_t>(values.size()), 5,
                                                           dputk::dpu::RoundMode::STD_ROUND));
      ++params;
      if (ours == theirs) ++same;
      else differ += " " + fix->get_name() + " (theirs " + std::to_string(theirs) + ", ours " + std::to_string(ours) + ")";
    }
    RecordProperty(std::string(file) + "_match", std::to_string(same) + "/" + std::to_string(params));
    std::printf("%s: %d of %d parameter fix points reproduced%s\n", file, same, params, differ.c_str());
    EXPECT_GT(params, 3);
    EXPECT_EQ(same, params) << differ;
  }
}

}  // namespace
