// dpu-compile on real files: our builtin compile of Xilinx's CNN_int.xmodel reproduces the real
// vai_c_xir output CNN_kv260.xmodel (ops, names, fix points, layer attrs, byte-identical weight
// blob and DDR layout sizes); vai_q's ResNet-20 compiles to USER/DPU/CPU and runs identically;
// unsupported ops fall back to CPU subgraphs with a reason; arch.json handling; and the vai_c_xir
// backend driven through a stand-in executable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "dputk/common/atomic_file.hpp"
#include "dputk/data/batch.hpp"
#include "dputk/compiler/compile.hpp"
#include "dputk/compiler/partition.hpp"
#include "dputk/compiler/targets.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/compiler/lower.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "fix_graph_builder.hpp"
#include "test_data.hpp"

using dputk::test::data_path;
namespace cc = dputk::compiler;

namespace {

using dputk::test::error_of;

using IV = std::vector<std::int32_t>;
using Blobs = std::map<std::string, std::vector<char>>;
using StringMap = std::map<std::string, std::string>;

std::string src(const std::string& rel) { return std::string(DPU_SOURCE_DIR) + "/" + rel; }

std::string write_arch(const std::string& dir, const std::string& json) {
  const std::string p = dir + "/arch.json";
  dputk::write_file_atomic(p, json);
  return p;
}


cc::CompileResult builtin(const std::string& xmodel, const std::string& dir, const std::string& net) {
  cc::CompileOptions o;
  o.xmodel = xmodel;
  o.arch = src("board/kv260/arch.json");
  o.output_dir = dir;
  o.net_name = net;
  o.backend = "builtin";
  return cc::compile_model(o);
}

const xir::Subgraph* dpu_subgraph(const xir::Graph& g) {
  for (const xir::Subgraph* s : g.get_root_subgraph()->children_topological_sort())
    if (s->get_attr<std::string>("device") == "DPU") return s;
  return nullptr;
}

// ---------------------------------------------------------------- targets and arch.json

TEST(Targets, FingerprintsOfTheDpuczdx8gTable) {
  EXPECT_EQ(cc::target_by_name("DPUCZDX8G_ISA1_B4096").fingerprint, 0x0101000056010407ull);
  EXPECT_EQ(cc::fingerprint_hex(0x0101000056010407ull), "0x101000056010407");
  EXPECT_EQ(cc::target_by_name("DPUCZDX8G_ISA1_B3136").fingerprint, 0x0101000056010406ull);
  EXPECT_EQ(cc::target_by_name("DPUCZDX8G_ISA1_B512").fingerprint, 0x0101000056010200ull);
  const auto& old = cc::target_by_fingerprint(0x0101000016010407ull);  // Vitis AI 2.5 B4096
  EXPECT_EQ(old.name, "DPUCZDX8G_ISA1_B4096");
  EXPECT_EQ(old.vitis_ai, "2.5");
  EXPECT_EQ(cc::target_by_name("DPUCZDX8G_ISA1_B1024").limits.channel_parallel, 8);
  // The real compiled file carries exactly the table's fingerprint.
  auto real = xir::Graph::deserialize(data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel"));
  EXPECT_EQ(dpu_subgraph(*real)->get_attr<std::uint64_t>("dpu_fingerprint"), cc::target_by_name("DPUCZDX8G_ISA1_B4096").fingerprint);
}

TEST(Targets, BoardArchFilesResolve) {
  for (const char* board : {"kv260", "zcu102"}) {
    EXPECT_EQ(cc::load_arch_json(src(std::string("board/") + board + "/arch.json")).fingerprint, 0x0101000056010407ull);
    const auto& old = cc::load_arch_json(src(std::string("board/") + board + "/vai2.5/arch.json"));
    EXPECT_EQ(old.fingerprint, 0x0101000016010407ull);
    EXPECT_EQ(old.name, "DPUCZDX8G_ISA1_B4096");
  }
}

TEST(Targets, BadArchFilesGiveClearErrors) {
  const std::string dir = dputk::test::scratch_dir("arch_errors");
  std::string e = error_of([&] { cc::load_arch_json(write_arch(dir, R"({"target": "DPUCZDX8G_ISA1_B9999"})")); });
  EXPECT_NE(e.find(dir + "/arch.json"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown DPU target 'DPUCZDX8G_ISA1_B9999'"), std::string::npos) << e;
  EXPECT_NE(e.find("DPUCZDX8G_ISA1_B4096  0x101000056010407"), std::string::npos) << "lists the known targets: " << e;
  e = error_of([&] { cc::load_arch_json(write_arch(dir, R"({"fingerprint": "0x1234"})")); });
  EXPECT_NE(e.find("unknown DPU fingerprint 0x1234"), std::string::npos) << e;
  e = error_of([&] { cc::load_arch_json(write_arch(dir, R"({"target": )")); });
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;
  e = error_of([&] { cc::load_arch_json(write_arch(dir, R"({"fingerprint": "0xZZ"})")); });
  EXPECT_NE(e.find("is not a number"), std::string::npos) << e;
  e = error_of([&] { cc::load_arch_json(write_arch(dir, R"({"board": "kv260"})")); });
  EXPECT_NE(e.find("neither \"target\" nor \"fingerprint\""), std::string::npos) << e;
  e = error_of([&] { cc::load_arch_json(dir + "/missing.json"); });
  EXPECT_NE(e.find(dir + "/missing.json"), std::string::npos) << e;
}

// ---------------------------------------------------------------- builtin backend vs real vai_c_xir

TEST(BuiltinCompile, CnnIntMatchesTheRealVaiCXirOutput) {
  const std::string dir = dputk::test::scratch_dir("compile_cnn");
  const auto r = builtin(data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel"), dir, "CNN_kv260");
  EXPECT_EQ(r.device_subgraphs, 3);
  EXPECT_EQ(r.dpu_subgraphs, 1);
  EXPECT_EQ(dputk::read_file(dir + "/md5sum.txt"), cc::md5_of_file(dir + "/CNN_kv260.xmodel") + "\n");
  const std::string meta = dputk::read_file(dir + "/meta.json");
  EXPECT_NE(meta.find("\"subgraph_CNN__CNN_Sequential_network__Conv2d_0__ret_3\""), std::string::npos) << meta;
  EXPECT_NE(meta.find("\"DPUCZDX8G_ISA1_B4096\""), std::string::npos) << meta;

  auto ours = xir::Graph::deserialize(dir + "/CNN_kv260.xmodel");
  auto real = xir::Graph::deserialize(data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel"));
  // Same subgraphs (names and devices, in order).
  auto children = [](const xir::Graph& g) {
    std::vector<std::string> out;
    for (const xir::Subgraph* s : g.get_root_subgraph()->children_topological_sort())
      out.push_back(s->get_name() + ":" + s->get_attr<std::string>("device"));
    return out;
  };
  EXPECT_EQ(children(*ours), children(*real));
  // Same ops: names, types, devices, output tensor names, shapes, fix points, layer attrs.
  EXPECT_EQ(ours->get_op_num(), real->get_op_num());
  int convs = 0;
  for (const xir::Op* rop : real->get_ops()) {
    const xir::Op* op = ours->get_op(rop->get_name());
    ASSERT_NE(op, nullptr) << "missing op " << rop->get_name();
    EXPECT_EQ(op->get_type(), rop->get_type()) << rop->get_name();
    EXPECT_EQ(op->get_attr<std::string>("device"), rop->get_attr<std::string>("device")) << rop->get_name();
    const xir::Tensor *t = op->get_output_tensor(), *rt = rop->get_output_tensor();
    EXPECT_EQ(t->get_name(), rt->get_name());
    EXPECT_EQ(t->get_shape(), rt->get_shape()) << rop->get_name();
    for (const char* key : {"fix_point", "reg_id", "ddr_addr", "location"})
      if (rt->has_attr(key) && !(std::string(key) == "ddr_addr" && rop->get_type() == "upload")) {
        EXPECT_EQ(t->get_attr<std::int32_t>(key), rt->get_attr<std::int32_t>(key)) << rop->get_name() << " " << key;
      }
    if (rt->has_attr("stride")) {
      EXPECT_EQ(t->get_attr<IV>("stride"), rt->get_attr<IV>("stride")) << rop->get_name();
    }
    if (rop->get_type() == "conv2d-fix") {
      ++convs;
      for (const char* key : {"kernel", "stride", "pad", "dilation"}) EXPECT_EQ(op->get_attr<IV>(key), rop->get_attr<IV>(key)) << rop->get_name() << " " << key;
      EXPECT_EQ(op->get_attr<std::string>("nonlinear"), rop->get_attr<std::string>("nonlinear")) << rop->get_name();
      EXPECT_EQ(op->get_attr<std::uint64_t>("workload"), rop->get_attr<std::uint64_t>("workload")) << rop->get_name();
    }
  }
  EXPECT_EQ(convs, 4);
  // The DPU subgraph: the same int8 weight blob byte for byte, the same DDR register sizes.
  const xir::Subgraph *sg = dpu_subgraph(*ours), *rsg = dpu_subgraph(*real);
  ASSERT_TRUE(sg && rsg);
  const auto& blob = std::any_cast<const Blobs&>(sg->get_attr("reg_id_to_parameter_value")).at("REG_0");
  const auto& rblob = std::any_cast<const Blobs&>(rsg->get_attr("reg_id_to_parameter_value")).at("REG_0");
  ASSERT_EQ(blob.size(), 65536u);
  EXPECT_TRUE(blob == rblob) << "REG_0 weight blobs differ";
  auto sizes = sg->get_attr<std::map<std::string, std::int32_t>>("reg_id_to_size");
  auto rsizes = rsg->get_attr<std::map<std::string, std::int32_t>>("reg_id_to_size");
  for (const char* reg : {"REG_0", "REG_1", "REG_3"}) EXPECT_EQ(sizes[reg], rsizes[reg]) << reg;
  for (const char* key : {"dpu_fingerprint", "workload"}) EXPECT_EQ(sg->get_attr<std::uint64_t>(key), rsg->get_attr<std::uint64_t>(key)) << key;
  EXPECT_EQ(sg->get_attr<std::string>("dpu_name"), rsg->get_attr<std::string>("dpu_name"));
  EXPECT_EQ(sg->get_attr<std::vector<std::string>>("children_topological_sort"), rsg->get_attr<std::vector<std::string>>("children_topological_sort"));
  for (const char* key : {"reg_id_to_context_type", "reg_id_to_context_type_v2", "runner"})
    EXPECT_EQ(sg->get_attr<StringMap>(key), rsg->get_attr<StringMap>(key)) << key;
}

TEST(BuiltinCompile, VaiqResNet20CompilesToOneDpuSubgraphAndRunsIdentically) {
  const std::string dir = dputk::test::scratch_dir("compile_resnet20");
  const std::string q = data_path("xmodels/cifar_resnet20_vaiq/CifarResNet_int.xmodel");
  const auto r = builtin(q, dir, "resnet20");
  EXPECT_EQ(r.device_subgraphs, 3);
  EXPECT_EQ(r.dpu_subgraphs, 1);
  auto compiled = xir::Graph::deserialize(r.xmodel_path);
  auto lowered = dputk::lower_to_fix_form(*xir::Graph::deserialize(q));
  // Every op of the DPU subgraph is a fix op on the DPU; weights live only in REG_0.
  for (const xir::Op* op : dpu_subgraph(*compiled)->get_ops()) {
    EXPECT_EQ(op->get_attr<std::string>("device"), "DPU");
    if (op->get_type() == "const-fix") {
      EXPECT_TRUE(op->get_attr<std::vector<char>>("data").empty());
    }
  }
  const std::string report = dputk::read_file(dir + "/resnet20_partition.json");
  EXPECT_NE(report.find("\"dpu_subgraph_number\": 1"), std::string::npos);
  dputk::engine::DpuExecutor a(*compiled), b(*lowered);
  ASSERT_EQ(a.input_fix_point(0), 5);
  auto data = dputk::open_dataset(data_path("cifar10/test_batch.bin"));
  std::vector<std::size_t> ids(100);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  auto batch = dputk::make_batch(*data, ids, dputk::Preprocess::preset("cifar"));
  const auto in = dputk::engine::quantize_tensor(batch.input, 5);
  auto oa = a.run({&in}), ob = b.run({&in});
  ASSERT_EQ(oa.size(), 1u);
  EXPECT_EQ(oa[0].shape, (IV{100, 10}));
  EXPECT_TRUE(oa[0].data == ob[0].data) << "compiled and lowered outputs differ";
}

// MobileNetV2 (depthwise convs, ReLU6 → ReLU by CLE, residual adds, global average pool, FC):
// calibrated on 2 images (the structure matters here, not the accuracy), one DPU subgraph.
TEST(BuiltinCompile, MobileNetV2CompilesToOneDpuSubgraph) {
  auto prepared = dputk::load_prepared_model(data_path("imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx"), {});
  auto data = dputk::open_dataset(data_path("imagenet/val_500"), data_path("imagenet/val_500.txt"));
  auto q = dputk::calibrate_model(*prepared, *data, {0, 1}, dputk::Preprocess::preset("inception"), 2, {});
  auto g = dputk::lower_to_fix_form(*q.graph);
  EXPECT_TRUE(cc::rewrite_for_dpu(*g).empty());
  const auto report = cc::partition_for_dpu(*g, cc::target_by_name("DPUCZDX8G_ISA1_B4096"));
  EXPECT_EQ(report.device_subgraphs(), 3) << report.text();
  EXPECT_EQ(report.dpu_subgraphs(), 1) << report.text();
  int depthwise = 0;
  for (const auto& op : report.ops) depthwise += op.type == "depthwise-conv2d-fix" && op.device == "DPU";
  EXPECT_EQ(depthwise, 17);
}

// A fix-form graph with an op the DPU cannot run between two convs: two DPU subgraphs around a CPU
// one, boundaries by upload/download, and the same numbers as the un-partitioned graph.
std::unique_ptr<xir::Graph> conv_pad_conv_graph() {
  dputk::test::FixGraphBuilder b("conv_pad_conv");
  dputk::test::FixGraphBuilder::Conv c1, c2;
  c1.fo = 3;
  c2.fo = 2;
  xir::Op* x = b.data("input", {1, 10, 10, 8}, 4);
  xir::Op* p = b.pad("pad", b.conv("conv1", x, c1), {0, 0, 1, 1, 1, 1, 0, 0}, 3);
  b.fix2float("output", b.conv("conv2", p, c2));
  return b.take();
}

TEST(BuiltinCompile, UnsupportedOpsFallBackToCpuSubgraphsWithAReason) {
  auto plain = conv_pad_conv_graph(), g = conv_pad_conv_graph();
  const auto report = cc::partition_for_dpu(*g, cc::target_by_name("DPUCZDX8G_ISA1_B4096"));
  std::vector<std::string> devices;
  for (const auto& s : report.subgraphs) devices.push_back(s.device);
  EXPECT_EQ(devices, (std::vector<std::string>{"USER", "DPU", "CPU", "DPU", "CPU"}));
  EXPECT_EQ(report.dpu_subgraphs(), 2);
  int uploads = 0, downloads = 0;
  for (const xir::Op* op : g->get_ops()) {
    uploads += op->get_type() == "upload";
    downloads += op->get_type() == "download";
  }
  EXPECT_EQ(uploads, 2);
  EXPECT_EQ(downloads, 2);
  bool pad_reported = false;
  for (const auto& op : report.ops)
    if (op.name == "pad") pad_reported = op.device == "CPU" && op.reason.find("pad-fix") != std::string::npos;
  EXPECT_TRUE(pad_reported) << report.text();
  EXPECT_NE(report.text().find("pad (pad-fix): a standalone pad-fix is not a DPU engine op"), std::string::npos) << report.text();
  // Survives a file round trip and computes what the un-partitioned graph computes.
  std::string bytes;
  g->serialize_to_string(&bytes);
  auto back = xir::Graph::deserialize_from_string(bytes);
  dputk::engine::DpuTensor in;
  in.shape = {2, 10, 10, 8};
  in.fix_point = 4;
  std::mt19937 rng(3);
  for (int i = 0; i < 1600; ++i) in.data.push_back(static_cast<std::int8_t>(static_cast<int>(rng() % 256) - 128));
  dputk::engine::DpuExecutor a(*back), b(*plain);
  EXPECT_TRUE(a.run({&in})[0].data == b.run({&in})[0].data);
}

TEST(BuiltinCompile, LimitsOfTheConvEngine) {
  auto g = conv_pad_conv_graph();
  const auto& b4096 = cc::target_by_name("DPUCZDX8G_ISA1_B4096");
  EXPECT_EQ(cc::why_not_on_dpu(*g->get_op("conv1"), b4096.limits), "");
  g->get_op("conv1")->set_attr<IV>("kernel", {17, 17});
  EXPECT_NE(cc::why_not_on_dpu(*g->get_op("conv1"), b4096.limits).find("kernel [17, 17] is outside"), std::string::npos);
  g->get_op("conv1")->set_attr<IV>("kernel", {3, 3});
  g->get_op("conv1")->set_attr<std::string>("nonlinear", "HSWISH");
  EXPECT_NE(cc::why_not_on_dpu(*g->get_op("conv1"), b4096.limits).find("HSWISH"), std::string::npos);
}

TEST(BuiltinCompile, BadInputsAreClearErrors) {
  const std::string dir = dputk::test::scratch_dir("compile_errors");
  std::string e = error_of([&] { builtin(data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel"), dir, "x"); });
  EXPECT_NE(e.find("already partitioned"), std::string::npos) << e;
  dputk::write_file_atomic(dir + "/garbage.xmodel", "not a protobuf at all");
  e = error_of([&] { builtin(dir + "/garbage.xmodel", dir, "x"); });
  EXPECT_NE(e.find(dir + "/garbage.xmodel"), std::string::npos) << e;
  cc::CompileOptions o;
  o.xmodel = data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel");
  o.arch = src("board/kv260/arch.json");
  o.output_dir = dir;
  o.net_name = "x";
  o.backend = "builtin";
  o.options = "{not json";
  e = error_of([&] { cc::compile_model(o); });
  EXPECT_NE(e.find("-e/--options"), std::string::npos) << e;
  o.options = "";
  o.net_name = "";
  e = error_of([&] { cc::compile_model(o); });
  EXPECT_NE(e.find("missing -n/--net_name"), std::string::npos) << e;
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.xmodel"));
}

// ---------------------------------------------------------------- backend vai_c_xir (stand-in)

class VaiCXirBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = dputk::test::scratch_dir("vai_c_xir");
    setenv("VAI_C_XIR", src("tests/compiler/fake_vai_c_xir.sh").c_str(), 1);
    setenv("FAKE_VAI_C_XIR_MODEL", data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel").c_str(), 1);
    o_.xmodel = data_path("xmodels/kv260_mnist_cnn/CNN_int.xmodel");
    o_.arch = src("board/kv260/arch.json");
    o_.output_dir = dir_ + "/out";
    o_.net_name = "CNN_kv260";
  }
  void TearDown() override {
    unsetenv("VAI_C_XIR");
    unsetenv("FAKE_VAI_C_XIR_MODE");
  }
  std::string dir_;
  cc::CompileOptions o_;
};

TEST_F(VaiCXirBackend, AutoPrefersAnInstalledVaiCXirAndChecksItsOutput) {
  const auto r = cc::compile_model(o_);  // backend auto
  EXPECT_EQ(r.backend, "vai_c_xir");
  EXPECT_EQ(r.device_subgraphs, 3);
  EXPECT_EQ(r.dpu_subgraphs, 1);
  EXPECT_EQ(r.md5, "9d2b311be0a6bbdb77fd93e029168683");  // data/xmodels/kv260_mnist_cnn/md5sum.txt
  EXPECT_EQ(dputk::read_file(o_.output_dir + "/md5sum.txt"), r.md5 + "\n");
}

TEST_F(VaiCXirBackend, FailuresCarryTheToolsOwnMessage) {
  setenv("FAKE_VAI_C_XIR_MODE", "fail", 1);
  std::string e = error_of([&] { cc::compile_model(o_); });
  EXPECT_NE(e.find("exit code 1"), std::string::npos) << e;
  EXPECT_NE(e.find("XCOM_OP_NOT_SUPPORT"), std::string::npos) << e;
  setenv("FAKE_VAI_C_XIR_MODE", "no_output", 1);
  e = error_of([&] { cc::compile_model(o_); });
  EXPECT_NE(e.find("wrote no"), std::string::npos) << e;
  setenv("FAKE_VAI_C_XIR_MODE", "wrong_count", 1);
  e = error_of([&] { cc::compile_model(o_); });
  EXPECT_NE(e.find("reported 4 device / 2 DPU subgraphs"), std::string::npos) << e;
}

TEST_F(VaiCXirBackend, FingerprintMismatchWithTheArchIsAnError) {
  o_.arch = src("board/kv260/vai2.5/arch.json");  // a 2.5 board image; the model says 3.x
  const std::string e = error_of([&] { cc::compile_model(o_); });
  EXPECT_NE(e.find("compiled for fingerprint 0x101000056010407"), std::string::npos) << e;
  EXPECT_NE(e.find("asks for 0x101000016010407"), std::string::npos) << e;
}

TEST_F(VaiCXirBackend, ExplicitBackendWithoutTheToolIsAnError) {
  unsetenv("VAI_C_XIR");
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", "/nonexistent", 1);
  o_.backend = "vai_c_xir";
  const std::string e = error_of([&] { cc::compile_model(o_); });
  setenv("PATH", saved.c_str(), 1);
  EXPECT_NE(e.find("vai_c_xir is not installed"), std::string::npos) << e;
}

}  // namespace
