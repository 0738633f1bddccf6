// dpu-inspect before calibration: where each ONNX node runs on the KV260's DPU and why not, the
// subgraph count and the MAC share — on the shared MobileNetV2 (all on the DPU), and on small models
// with a grouped convolution (split into per-group convolutions: on the DPU), a kernel above the conv
// engine's 16 (an engine limit) and a custom op (no DPU form).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"
#include "onnx_test_model.hpp"
#include "test_data.hpp"

namespace {

using dputk::test::add_onnx_node;
using dputk::test::seeded_tensor;
using dputk::test::set_onnx_attr;

const std::string kArch = std::string(DPU_SOURCE_DIR) + "/board/kv260/arch.json";

nlohmann::json inspect(const std::string& model, const std::string& name, std::string* text = nullptr) {
  const std::string json = dputk::test::scratch_dir("inspect_" + name) + "/" + name + ".json";  // one per test: ctest runs them in parallel
  auto r = dputk::test::run_cli("dpu-inspect", model + " -a " + kArch + " --json " + json);
  EXPECT_EQ(r.code, 0) << r.out;
  if (text) *text = r.out;
  return nlohmann::json::parse(dputk::read_file(json));
}

const nlohmann::json& node(const nlohmann::json& j, const std::string& name) {
  for (const auto& n : j["nodes"])
    if (n["name"] == name) return n;
  throw std::runtime_error("no node " + name);
}

TEST(DpuInspect, MobileNetV2RunsWhollyOnTheDpu) {
  std::string text;
  auto j = inspect(dputk::test::data_path("imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx"), "mnv2", &text);
  EXPECT_EQ(j["dpu_subgraph_number"], 1);
  EXPECT_EQ(j["device_subgraph_number"], 3);
  EXPECT_EQ(j["dpu_mac_share"], 1.0);
  // MobileNetV2 1.0/224 has about 300 M multiply-accumulates.
  EXPECT_GT(j["macs_total"].get<std::uint64_t>(), 290000000u);
  EXPECT_LT(j["macs_total"].get<std::uint64_t>(), 310000000u);
  int convs = 0;
  for (const auto& n : j["nodes"])
    if (n["type"] == "Conv") {
      ++convs;
      EXPECT_EQ(n["device"], "DPU") << n.dump();
      EXPECT_NE(n["dpu_op"].get<std::string>().find("conv2d-fix"), std::string::npos) << n.dump();
    }
  EXPECT_EQ(convs, 53);  // 52 in the network and the 1×1 classifier
  EXPECT_NE(text.find("Total device subgraph number 3, DPU subgraph number 1"), std::string::npos) << text;
  EXPECT_NE(text.find("MACs on the DPU: 100.00%"), std::string::npos) << text;
}

// x → Conv 3→8 → Conv 8→8 group 2 → Relu → MyOp (custom) → Conv 8→8 → Conv 8→8 kernel 17
std::string limits_model(const std::string& path) {
  onnx::ModelProto m;
  auto* g = dputk::test::start_onnx_model(m, "limits", "x", {1, 3, 16, 16});
  *g->add_initializer() = seeded_tensor("w1", {8, 3, 3, 3}, 1);
  *g->add_initializer() = seeded_tensor("w2", {8, 4, 3, 3}, 2);
  *g->add_initializer() = seeded_tensor("w3", {8, 8, 1, 1}, 3);
  set_onnx_attr(add_onnx_node(g, "Conv", {"x", "w1"}, "c1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  auto* grouped = add_onnx_node(g, "Conv", {"c1", "w2"}, "grouped");
  set_onnx_attr(grouped, "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  set_onnx_attr(grouped, "group", std::int64_t{2});
  add_onnx_node(g, "Relu", {"grouped"}, "r");
  add_onnx_node(g, "MyOp", {"r"}, "custom")->set_domain("com.example");
  add_onnx_node(g, "Conv", {"custom", "w3"}, "c3");
  *g->add_initializer() = seeded_tensor("w4", {8, 8, 17, 17}, 4);
  set_onnx_attr(add_onnx_node(g, "Conv", {"c3", "w4"}, "big"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g->add_output()->set_name("big");
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  return path;
}

TEST(DpuInspect, NamesEngineLimitsAndOpTypesWithHintsAndCountsTheMacShare) {
  auto j = inspect(limits_model(dputk::test::scratch_dir("inspect_model") + "/limits.onnx"), "limits");
  EXPECT_EQ(node(j, "c1")["device"], "DPU");
  const auto& grouped = node(j, "grouped");
  EXPECT_EQ(grouped["device"], "DPU") << grouped.dump();
  const auto& big = node(j, "big");
  EXPECT_EQ(big["device"], "CPU");
  EXPECT_NE(big["reason"].get<std::string>().find("kernel [17, 17] is outside the engine's range 1–16"), std::string::npos) << big.dump();
  EXPECT_NE(big["hint"].get<std::string>().find("within the conv engine's limits"), std::string::npos) << big.dump();
  const auto& custom = node(j, "custom");
  EXPECT_EQ(custom["device"], "CPU");
  EXPECT_NE(custom["reason"].get<std::string>().find("MyOp"), std::string::npos) << custom.dump();
  EXPECT_EQ(node(j, "c3")["device"], "DPU");
  EXPECT_EQ(j["dpu_subgraph_number"], 2);
  // MACs: c1 16·16·8·27 = 55296, grouped 16·16·8·36 = 73728, c3 16·16·8·8 = 16384, big 2·2·8·2312 = 73984 (CPU).
  EXPECT_EQ(j["macs_total"], 55296 + 73728 + 16384 + 73984);
  EXPECT_EQ(j["macs_dpu"], 55296 + 73728 + 16384);
}

TEST(DpuInspect, BadInputIsAClearError) {
  auto r = dputk::test::run_cli("dpu-inspect", "/nonexistent.onnx -a " + kArch);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("/nonexistent.onnx"), std::string::npos) << r.out;
}

}  // namespace
