// Real Xilinx-made .xmodel files read, re-serialize and re-read to a semantically equal graph; our
// output is byte-deterministic; damaged files give an error naming the file.
#include <gtest/gtest.h>

#include <fstream>

#include "dputk/common/atomic_file.hpp"
#include "test_data.hpp"
#include "xir/graph/graph.hpp"
#include "xir/util/graph_compare.hpp"

using dputk::test::data_path;

namespace {

class RealXmodel : public ::testing::TestWithParam<const char*> {};

TEST_P(RealXmodel, RoundTripsToAnEqualGraph) {
  const std::string path = data_path(GetParam());
  auto g = xir::Graph::deserialize(path);
  ASSERT_GT(g->get_op_num(), 0);
  std::string bytes;
  g->serialize_to_string(&bytes);
  auto g2 = xir::Graph::deserialize_from_string(bytes);
  auto diffs = xir::compare_graphs(*g, *g2);
  EXPECT_TRUE(diffs.empty()) << diffs.front();
  // Deterministic: serializing the re-read graph gives the same bytes.
  std::string bytes2;
  g2->serialize_to_string(&bytes2);
  EXPECT_EQ(bytes, bytes2);
}

TEST_P(RealXmodel, WeightBlobsSurviveTheRoundTrip) {
  auto g = xir::Graph::deserialize(data_path(GetParam()));
  std::string bytes;
  g->serialize_to_string(&bytes);
  auto g2 = xir::Graph::deserialize_from_string(bytes);
  std::size_t checked = 0;
  for (const xir::Op* op : g->get_ops()) {
    if (op->has_attr("data")) {
      EXPECT_EQ(op->get_attr<std::vector<char>>("data"), g2->get_op(op->get_name())->get_attr<std::vector<char>>("data"));
      ++checked;
    }
  }
  for (const xir::Subgraph* sg : g->get_root_subgraph()->children_topological_sort()) {
    if (!sg->has_attr("reg_id_to_parameter_value")) continue;
    using Blobs = std::map<std::string, std::vector<char>>;
    EXPECT_EQ(sg->get_attr<Blobs>("reg_id_to_parameter_value"),
              g2->get_subgraph(sg->get_name())->get_attr<Blobs>("reg_id_to_parameter_value"));
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

TEST_P(RealXmodel, TruncatedFileIsAClearError) {
  const std::string path = data_path(GetParam());
  std::string bytes = dputk::read_file(path);
  const std::string cut = dputk::test::scratch_dir("truncated_xmodel") + "/cut.xmodel";
  dputk::write_file_atomic(cut, bytes.substr(0, bytes.size() / 2));
  try {
    xir::Graph::deserialize(cut);
    FAIL() << "a truncated xmodel loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(SharedData, RealXmodel,
                         ::testing::Values("xmodels/kv260_mnist_cnn/CNN_int.xmodel", "xmodels/kv260_mnist_cnn/CNN_kv260.xmodel",
                                           "xmodels/cifar_resnet20_vaiq/CifarResNet_int.xmodel"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string f = info.param;
                           f = f.substr(f.rfind('/') + 1);
                           return f.substr(0, f.find('.'));
                         });

TEST(RealXmodel, CompiledModelHasTheVaiCXirStructure) {
  auto g = xir::Graph::deserialize(data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel"));
  auto children = g->get_root_subgraph()->children_topological_sort();
  ASSERT_EQ(children.size(), 3u);
  EXPECT_EQ(children[0]->get_attr<std::string>("device"), "USER");
  EXPECT_EQ(children[1]->get_attr<std::string>("device"), "DPU");
  EXPECT_EQ(children[2]->get_attr<std::string>("device"), "CPU");
  EXPECT_EQ(children[1]->get_attr<std::uint64_t>("dpu_fingerprint"), 0x0101000056010407ULL);
  EXPECT_EQ(children[1]->get_attr<std::string>("dpu_name"), "DPUCZDX8G_ISA1_B4096");
  int convs = 0;
  for (const xir::Op* op : children[1]->topological_sort()) convs += op->get_type() == "conv2d-fix";
  EXPECT_EQ(convs, 4);
  const xir::Tensor* in = *children[1]->get_input_tensors().begin();
  EXPECT_EQ(in->get_attr<std::int32_t>("fix_point"), 6);
  EXPECT_EQ(in->get_shape(), (std::vector<std::int32_t>{1, 28, 28, 1}));
}

TEST(XmodelErrors, MissingEmptyAndGarbageFilesNameTheFile) {
  const std::string dir = dputk::test::scratch_dir("xmodel_errors");
  const std::string empty = dir + "/empty.xmodel", garbage = dir + "/garbage.xmodel";
  dputk::write_file_atomic(empty, "");
  dputk::write_file_atomic(garbage, std::string(1000, '\xff'));
  for (const std::string& p : {dir + "/missing.xmodel", empty, garbage}) {
    try {
      xir::Graph::deserialize(p);
      FAIL() << p << " loaded";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  }
}

TEST(XmodelErrors, DanglingInputNameIsReported) {
  auto g = xir::Graph::create("g");
  auto a = xir::Attrs::create();
  a->set_attr<std::vector<std::int32_t>>("shape", {1, 4, 4, 3});
  a->set_attr<std::string>("data_type", "FLOAT32");
  auto* in = g->add_op("in", "data", std::move(a), {});
  g->add_op("r", "relu", nullptr, {{"input", {in}}});
  std::string bytes;
  g->serialize_to_string(&bytes);
  // Rename the producer inside the bytes: the consumer now names an op that does not exist.
  auto pos = bytes.find("\x0a\x02in");
  ASSERT_NE(pos, std::string::npos);
  bytes.replace(pos, 4, std::string("\x0a\x02zz", 4));
  try {
    xir::Graph::deserialize_from_string(bytes);
    FAIL() << "dangling name accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'in'"), std::string::npos) << e.what();
  }
}

}  // namespace
