// The XIR-compatible API: op creation with defaults and checks, shape inference, topological order,
// subgraph partitioning, attrs of every serializable type.
#include <gtest/gtest.h>

#include "xir/graph/graph.hpp"
#include "xir/util/graph_compare.hpp"

namespace {

using IV = std::vector<std::int32_t>;

xir::Op* add_data(xir::Graph& g, const std::string& name, IV shape) {
  auto a = xir::Attrs::create();
  a->set_attr<IV>("shape", shape);
  a->set_attr<std::string>("data_type", "FLOAT32");
  return g.add_op(name, "data", std::move(a), {});
}

xir::Op* add_const(xir::Graph& g, const std::string& name, IV shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  auto a = xir::Attrs::create();
  a->set_attr<IV>("shape", shape);
  a->set_attr<std::string>("data_type", "FLOAT32");
  a->set_attr<std::vector<char>>("data", std::vector<char>(static_cast<std::size_t>(n) * 4, 0));
  return g.add_op(name, "const", std::move(a), {});
}

TEST(GraphApi, ConvShapeInferenceAndDefaults) {
  auto g = xir::Graph::create("net");
  auto* x = add_data(*g, "x", {2, 224, 224, 3});
  auto* w = add_const(*g, "w", {64, 7, 7, 3});
  auto a = xir::Attrs::create();
  a->set_attr<IV>("kernel", {7, 7});
  a->set_attr<IV>("stride", {2, 2});
  a->set_attr<IV>("pad", {3, 3, 3, 3});
  a->set_attr<std::string>("pad_mode", "FLOOR");
  auto* conv = g->add_op("conv", "conv2d", std::move(a), {{"input", {x}}, {"weights", {w}}});
  EXPECT_EQ(conv->get_output_tensor()->get_shape(), (IV{2, 112, 112, 64}));
  EXPECT_EQ(conv->get_attr<IV>("dilation"), (IV{1, 1}));  // optional default filled
  EXPECT_EQ(conv->get_attr<std::int32_t>("group"), 1);
  auto pa = xir::Attrs::create();
  pa->set_attr<IV>("kernel", {3, 3});
  pa->set_attr<IV>("stride", {2, 2});
  pa->set_attr<IV>("pad", {1, 1, 1, 1});
  pa->set_attr<std::string>("pad_mode", "FLOOR");
  auto* pool = g->add_op("pool", "maxpool2d", std::move(pa), {{"input", {conv}}});
  EXPECT_EQ(pool->get_output_tensor()->get_shape(), (IV{2, 56, 56, 64}));
  EXPECT_EQ(x->get_fanout_num(), 1);
  EXPECT_EQ(conv->get_input_op("weights"), w);
  EXPECT_EQ(g->get_tail_ops(), std::vector<xir::Op*>{pool});
}

TEST(GraphApi, MissingRequiredAttrAndInputAreErrors) {
  auto g = xir::Graph::create("net");
  auto* x = add_data(*g, "x", {1, 8, 8, 3});
  EXPECT_THROW(g->add_op("c", "conv2d", nullptr, {{"input", {x}}}), std::invalid_argument);
  auto a = xir::Attrs::create();
  a->set_attr<std::int32_t>("fix_point", 4);
  EXPECT_THROW(g->add_op("f", "fix", std::move(a), {{"input", {x}}}), std::invalid_argument);
  EXPECT_THROW(g->add_op("r", "relu", nullptr, {}), std::invalid_argument);
  EXPECT_THROW(g->add_op("x", "relu", nullptr, {{"input", {x}}}), std::invalid_argument);  // duplicate name
  auto bad = xir::Attrs::create();
  bad->set_attr<std::int32_t>("axis", 1);
  bad->set_attr<std::string>("oops", "x");
  EXPECT_NO_THROW(g->add_op("s", "softmax", std::move(bad), {{"input", {x}}}));  // extra attrs are kept
}

TEST(GraphApi, UnknownOpTypeIsRegisteredNotRejected) {
  auto g = xir::Graph::create("net");
  auto* x = add_data(*g, "x", {1, 4});
  auto a = xir::Attrs::create();
  a->set_attr<IV>("shape", {1, 4});
  a->set_attr<std::string>("data_type", "FLOAT32");
  auto* op = g->add_op("custom", "my-custom-op", std::move(a), {{"input", {x}}});
  EXPECT_EQ(op->get_output_tensor()->get_shape(), (IV{1, 4}));
  std::string bytes;
  g->serialize_to_string(&bytes);
  auto g2 = xir::Graph::deserialize_from_string(bytes);
  EXPECT_TRUE(xir::compare_graphs(*g, *g2).empty());
}

TEST(GraphApi, TopologicalSortIsDeterministicAndValid) {
  auto g = xir::Graph::create("net");
  auto* x = add_data(*g, "x", {1, 4, 4, 8});
  auto* a = g->add_op("a", "relu", nullptr, {{"input", {x}}});
  auto* b = g->add_op("b", "relu6", nullptr, {{"input", {x}}});
  auto* s = g->add_op("s", "add", nullptr, {{"input", {a, b}}});
  auto order = g->topological_sort();
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order, (std::vector<xir::Op*>{x, a, b, s}));
  g->remove_op(s);
  EXPECT_EQ(g->get_op_num(), 3);
  EXPECT_EQ(a->get_fanout_num(), 0);
}

TEST(GraphApi, SubgraphPartitioningAndRoundTrip) {
  auto g = xir::Graph::create("net");
  auto* x = add_data(*g, "x", {1, 4, 4, 8});
  auto* a = g->add_op("a", "relu", nullptr, {{"input", {x}}});
  auto* b = g->add_op("b", "relu6", nullptr, {{"input", {a}}});
  auto* root = g->get_root_subgraph();
  root->create_children();
  EXPECT_EQ(root->get_children_num(), 3);
  auto* dpu = root->merge_children({root->find_op(a), root->find_op(b)});
  dpu->set_attr<std::string>("device", "DPU");
  dpu->set_attr<std::uint64_t>("dpu_fingerprint", 0x0101000056010407ULL);
  dpu->set_attr<std::map<std::string, std::vector<char>>>("reg_id_to_parameter_value", {{"REG_0", {1, 2, 3}}});
  root->find_op(x)->set_attr<std::string>("device", "USER");
  EXPECT_EQ(root->get_children_num(), 2);
  auto sorted = root->children_topological_sort();
  EXPECT_EQ(sorted[1], dpu);
  EXPECT_EQ(dpu->get_input_tensors().size(), 1u);
  EXPECT_EQ((*dpu->get_input_tensors().begin())->get_name(), "x");
  EXPECT_EQ(g->get_leaf_subgraph(b), dpu);
  std::string bytes;
  g->serialize_to_string(&bytes);
  auto g2 = xir::Graph::deserialize_from_string(bytes);
  auto diffs = xir::compare_graphs(*g, *g2);
  EXPECT_TRUE(diffs.empty()) << diffs.front();
  EXPECT_EQ(g2->get_subgraph(dpu->get_name())->get_attr<std::uint64_t>("dpu_fingerprint"), 0x0101000056010407ULL);
}

TEST(GraphApi, EveryAttrTypeSerializes) {
  auto g = xir::Graph::create("attrs");
  auto* x = add_data(*g, "x", {1, 2});
  xir::Op* r = g->add_op("r", "relu", nullptr, {{"input", {x}}});
  r->set_attr<bool>("b", true);
  r->set_attr<std::int32_t>("i32", -5);
  r->set_attr<std::uint32_t>("u32", 5u);
  r->set_attr<std::int64_t>("i64", -(1LL << 40));
  r->set_attr<std::uint64_t>("u64", 1ULL << 63);
  r->set_attr<float>("f", 0.5f);
  r->set_attr<double>("d", 0.25);
  r->set_attr<std::string>("s", "DPU");
  r->set_attr<std::vector<char>>("bytes", {0, 1, 2});
  r->set_attr<std::vector<bool>>("bv", {true, false});
  r->set_attr<std::vector<std::int64_t>>("i64v", {1, -2});
  r->set_attr<std::vector<double>>("dv", {1.5});
  r->set_attr<std::vector<std::string>>("sv", {"a", "b"});
  r->set_attr<std::vector<std::vector<char>>>("bytesv", {{1}, {2, 3}});
  r->set_attr<std::map<std::string, std::int32_t>>("mi", {{"k", 1}});
  r->set_attr<std::map<std::string, std::string>>("ms", {{"run", "libvart-dpu-runner.so"}});
  r->set_attr<std::map<std::string, std::vector<std::string>>>("msv", {{"k", {"a"}}});
  r->set_attr<std::string>("__private", "never written");
  std::string bytes;
  g->serialize_to_string(&bytes);
  auto g2 = xir::Graph::deserialize_from_string(bytes);
  const xir::Op* r2 = g2->get_op("r");
  EXPECT_FALSE(r2->has_attr("__private"));
  r->get_attrs();
  for (const auto& key : r2->attrs().get_keys()) EXPECT_TRUE(xir::any_equal(r->get_attr(key), r2->get_attr(key))) << key;
  EXPECT_EQ(r2->attrs().get_keys().size(), r->attrs().get_keys().size() - 1);
}

TEST(DataType, ParsesXirSpellings) {
  EXPECT_EQ(xir::DataType("XINT8"), xir::DataType(xir::DataType::XINT, 8));
  EXPECT_EQ(xir::DataType("float32"), xir::DataType(xir::DataType::FLOAT, 32));
  EXPECT_EQ(xir::DataType("FLOAT32").to_string(), "FLOAT32");
  EXPECT_FALSE(xir::DataType("Float32").valid());
  EXPECT_FALSE(xir::DataType("INT").valid());
}

}  // namespace
