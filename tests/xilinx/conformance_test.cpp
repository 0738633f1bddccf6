// Conformance with Xilinx's own runtime (../shared/xilinx-ref: XIR, VART and the Vitis-AI-Library
// cpu_task of Vitis AI 3.5, built by scripts/xilinx_ref.sh):
//  - the emulator computes what Xilinx's reference computes: every compiled model, random int8
//    inputs, `run_xmodel --dpu-on-cpu` and `dpu-run` give identical output bytes;
//  - the resnet50 application built against real XIR/VART (build-vart/) with the DPU subgraph's runner
//    pointed at cpu_task gives the same int8 outputs as the emulated build, image by image;
//  - dpu-preflight built against real XIR reads the fingerprints ours reads;
//  - every xmodel the tests wrote loads in real XIR and means the same after XIR writes it back, and
//    Xilinx-made xmodels round-trip through our XIR as through theirs.
// scripts/test.sh runs these after the rest of the suite (ctest -L xilinx), so that the files the other
// tests wrote are there to check.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"
#include "test_data.hpp"
#include "vitis/ai/graph_runner.hpp"
#include "xir/graph/graph.hpp"

namespace fs = std::filesystem;
using dputk::test::CliResult;
using dputk::test::data_path;
using dputk::test::run_cli;
using dputk::test::run_command;
using dputk::test::scratch_dir;

namespace {

const std::string kRef = DPUTK_XILINX_REF;          // build-xilinx (scripts/xilinx_ref.sh)
const std::string kVartBin = DPUTK_VART_BUILD "/bin";  // the applications built with DPU_RUNTIME=vart
const std::string kCpuTask = "libvitis_ai_library-cpu_task.so.3";

// A program of Xilinx's reference build, with its libraries.
CliResult xilinx(const std::string& tool, const std::string& args) {
  return run_command("env LD_LIBRARY_PATH=" + kRef + "/install/lib PYTHONPATH=" + kRef + "/tools/py " + tool + " " + args);
}
std::string ref_bin(const std::string& tool) { return kRef + "/install/bin/" + tool; }

struct Model {
  std::string name, path;
};
void PrintTo(const Model& m, std::ostream* os) { *os << m.name; }

// Every compiled model the tests make: the conformance set (tests/xilinx/make_models.sh), the model zoo's
// CI subset (scripts/model_zoo.py) and the Xilinx-made compiled file in ../shared/data.
std::vector<Model> compiled_models() {
  std::vector<Model> m{{"CNN_kv260", data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel")}};
  for (const char* n : {"resnet20_cifar", "mobilenet_v2", "mobilenet_v2_relu", "mobilenet_v1_025", "mobilenet_v1_025_relu", "resnet50"})
    m.push_back({n, std::string(DPU_CONFORMANCE_DIR) + "/" + n + "/compiled/" + n + ".xmodel"});
  for (const char* n : {"mobilenet_v3_small", "lraspp_mobilenet_v3_large", "shufflenet_v2_x1_0", "deeplabv3_mnv2_pascal",
                        "neck_nearest", "neck_bilinear", "neck_align", "shuffle_split", "misc_ops", "fc_over_map", "deconv_neck"})
    m.push_back({n, std::string(DPU_ZOO_DIR) + "/" + n + "/compiled/" + n + ".xmodel"});
  return m;
}

// Models where cpu_task is knowingly not the DPU (../shared/xilinx-ref/README.md, and read in its source),
// with the reason. Our kernels for these ops are held to the DPU semantics instead by the spec-derived
// tests (quantizer_tests ConvOutput.FusedRelu6ClampsAt96LsbsAtFixPoint4 / FusedHardSigmoidWorkedExample)
// and the zoo tests (zoo_tests: emulator == quantizer test mode, float model vs torch).
const std::string kRelu6 =
    "ReLU6 fused into the DPU convolutions (nonlinear RELU6): cpu_task's conv2d-fix returns min(6·2^fo, 6) whatever "
    "the input; compared in vai_q's ReLU form instead (the *_relu models)";
const std::string kHsigmoid =
    "hard-sigmoid fused into convolutions (nonlinear HSIGMOID): cpu_task's conv2d-fix applies no activation for it, "
    "its depthwise-conv2d-fix aborts ('not supported: HSIGMOID')";
const std::string kSlice = "strided_slice-fix on the DPU: cpu_task has no kernel for it (no libvart_op_imp_strided_slice-fix.so)";
const std::map<std::string, std::string> kNotComparable = {
    {"mobilenet_v2", kRelu6},
    {"mobilenet_v1_025", kRelu6},
    {"deeplabv3_mnv2_pascal", kRelu6},
    {"mobilenet_v3_small", kHsigmoid},
    {"lraspp_mobilenet_v3_large", kHsigmoid},
    {"shufflenet_v2_x1_0", kSlice},
    {"shuffle_split", kSlice},
    {"misc_ops", "a PReLU CPU subgraph: cpu_task has no prelu kernel (no libvart_op_imp_prelu.so)"},
};

std::string sanitize(std::string s) {
  for (char& c : s)
    if (c == '/' || c == ':' || c == '\\') c = '_';
  return s;
}

// Random inputs for every input tensor of the graph runner: int8 over the whole range (≥ 0 when the
// model max-pools, since cpu_task's max pool starts from a tiny positive number), floats in [-2, 2).
void write_random_inputs(const std::string& xmodel, const std::string& dir, unsigned seed) {
  auto graph = xir::Graph::deserialize(xmodel);
  bool max_pool = false;
  for (const xir::Op* op : graph->get_ops())
    if (op->get_type() == "pool-fix" && op->has_attr("type") && op->get_attr<std::string>("type") == "MAX") max_pool = true;
  auto runner = vitis::ai::GraphRunner::create_graph_runner(graph.get(), nullptr);
  std::mt19937 rng(seed);
  for (const xir::Tensor* t : runner->get_input_tensors()) {
    const std::size_t n = static_cast<std::size_t>(t->get_element_num() / t->get_shape().at(0));
    std::string bytes;
    if (t->get_data_type().type == xir::DataType::FLOAT) {
      std::uniform_real_distribution<float> d(-2.0f, 2.0f);
      std::vector<float> v(n);
      for (float& x : v) x = d(rng);
      bytes.assign(reinterpret_cast<const char*>(v.data()), n * sizeof(float));
    } else {
      std::uniform_int_distribution<int> d(max_pool ? 0 : -128, 127);
      for (std::size_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(d(rng)));
    }
    dputk::write_file_atomic(dir + "/" + sanitize(t->get_name()) + ".bin", bytes);
  }
}

std::map<std::string, std::string> files_in(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out[e.path().filename().string()] = dputk::read_file(e.path().string());
  return out;
}

class EmulatorVsCpuTask : public ::testing::TestWithParam<Model> {};

TEST_P(EmulatorVsCpuTask, IdenticalOutputsOnRandomInputs) {
  const Model& m = GetParam();
  if (kNotComparable.count(m.name)) GTEST_SKIP() << kNotComparable.at(m.name);
  ASSERT_TRUE(fs::exists(m.path)) << m.path << " was not made (tests/xilinx/make_models.sh, model_zoo_ci)";
  const int samples = (m.name == "resnet50" || m.name == "deeplabv3_mnv2_pascal") ? 1 : 2;
  for (int s = 0; s < samples; ++s) {
    const std::string dir = scratch_dir("xref_" + m.name + "_" + std::to_string(s));
    fs::create_directories(dir + "/in");
    fs::create_directories(dir + "/xilinx");
    write_random_inputs(m.path, dir + "/in", 1000u + static_cast<unsigned>(s));
    const auto ref = xilinx(ref_bin("run_xmodel"), m.path + " " + dir + "/in " + dir + "/xilinx --dpu-on-cpu");
    ASSERT_EQ(ref.code, 0) << ref.out;
    const auto ours = run_cli("dpu-run", m.path + " " + dir + "/in " + dir + "/emu");
    ASSERT_EQ(ours.code, 0) << ours.out;
    const auto a = files_in(dir + "/xilinx"), b = files_in(dir + "/emu");
    ASSERT_FALSE(a.empty());
    ASSERT_EQ(a.size(), b.size()) << ref.out << ours.out;
    for (const auto& [name, bytes] : a) {
      ASSERT_TRUE(b.count(name)) << name << " missing from dpu-run's outputs\n" << ours.out;
      ASSERT_FALSE(bytes.empty()) << name;
      std::size_t diff = 0;
      for (std::size_t i = 0; i < std::min(bytes.size(), b.at(name).size()); ++i) diff += bytes[i] != b.at(name)[i];
      EXPECT_EQ(bytes.size(), b.at(name).size()) << name;
      EXPECT_EQ(diff, 0u) << m.name << " sample " << s << ": " << name << ": " << diff << " of " << bytes.size() << " bytes differ";
    }
    RecordProperty("outputs", static_cast<int>(a.size()));
  }
}

INSTANTIATE_TEST_SUITE_P(Xilinx, EmulatorVsCpuTask, ::testing::ValuesIn(compiled_models()),
                         [](const auto& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------------
// The resnet50 application built against real XIR/VART, its DPU subgraph run by cpu_task.

struct AppCase {
  std::string name, model, images, preprocess;
  int n;
};
void PrintTo(const AppCase& c, std::ostream* os) { *os << c.name; }

class VartApp : public ::testing::TestWithParam<AppCase> {};

TEST_P(VartApp, SameInt8OutputsAsTheEmulatedBuild) {
  const AppCase& c = GetParam();
  ASSERT_TRUE(fs::exists(c.model)) << c.model;
  const std::string dir = scratch_dir("vart_app_" + c.name);
  // The DPU subgraph's runner → cpu_task (on a board it names libvart-dpu-runner.so)
  const std::string cpu_model = dir + "/cpu_task.xmodel";
  const auto set = run_cli("xmodel-tool", "set-runner " + c.model + " " + cpu_model + " " + kCpuTask);
  ASSERT_EQ(set.code, 0) << set.out;
  const std::string args = " " + c.images + " --preprocess " + c.preprocess;
  const auto emu = run_cli("resnet50", c.model + args + " --limit " + std::to_string(c.n) + " --save-outputs " + dir + "/emu.bin");
  ASSERT_EQ(emu.code, 0) << emu.out;
  // A cpu_task runner is stateful (only its first run is right): one process per image.
  std::string vart_bytes;
  for (int i = 0; i < c.n; ++i) {
    const std::string out = dir + "/vart_" + std::to_string(i) + ".bin";
    const auto r = xilinx(kVartBin + "/resnet50", cpu_model + args + " --skip " + std::to_string(i) + " --limit 1 --save-outputs " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    vart_bytes += dputk::read_file(out);
  }
  const std::string emu_bytes = dputk::read_file(dir + "/emu.bin");
  ASSERT_EQ(vart_bytes.size(), emu_bytes.size());
  EXPECT_TRUE(vart_bytes == emu_bytes) << c.name << ": the VART build's int8 outputs differ from the emulated build's";
  // not a constant: every image gives its own output row
  const std::size_t row = emu_bytes.size() / static_cast<std::size_t>(c.n);
  std::set<std::string> rows;
  for (int i = 0; i < c.n; ++i) rows.insert(emu_bytes.substr(static_cast<std::size_t>(i) * row, row));
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(c.n));
}

const std::string kConf = DPU_CONFORMANCE_DIR;
INSTANTIATE_TEST_SUITE_P(
    Xilinx, VartApp,
    ::testing::Values(AppCase{"CNN_kv260_mnist", data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel"),
                              data_path("mnist/t10k-images-idx3-ubyte.gz"), "mnist", 8},
                      AppCase{"mobilenet_v2_imagenet", kConf + "/mobilenet_v2_relu/compiled/mobilenet_v2_relu.xmodel", data_path("imagenet/val_500.txt"),
                              "inception", 4},
                      AppCase{"resnet20_cifar", kConf + "/resnet20_cifar/compiled/resnet20_cifar.xmodel", data_path("cifar10/test_batch.bin"),
                              "cifar", 8}),
    [](const auto& info) { return info.param.name; });

// dpu-preflight built against real XIR reads each model's fingerprint and compiler as ours does.
TEST(VartPreflight, ReadsTheFingerprintsOurXirReads) {
  int checked = 0;
  std::vector<std::string> models{data_path("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel"),
                                  kConf + "/resnet20_cifar/compiled/resnet20_cifar.xmodel",
                                  kConf + "/mobilenet_v2/compiled/mobilenet_v2.xmodel"};
  const std::string root = scratch_dir("vart_preflight");
  for (const auto& m : models) {
    const std::string args = m + " --root " + root + " --fingerprint 0x101000056010407";
    const auto ours = run_cli("dpu-preflight", args);
    const auto real = xilinx(kVartBin + "/dpu-preflight", args);
    std::smatch a, b;
    const std::regex line("\\[(PASS|FAIL|WARN)\\] xmodel[^\n]*");
    ASSERT_TRUE(std::regex_search(ours.out, a, line)) << ours.out;
    ASSERT_TRUE(std::regex_search(real.out, b, line)) << real.out;
    EXPECT_EQ(a.str(), b.str()) << m;
    EXPECT_NE(a.str().find("0x"), std::string::npos) << a.str();
    EXPECT_EQ(ours.code, real.code) << ours.out << real.out;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

// ---------------------------------------------------------------------------------------------------
// Files: what we write loads in real XIR and means the same; what Xilinx wrote round-trips alike.

// Every .xmodel under the build tree and the tests' scratch directories that our XIR reads.
std::vector<std::string> xmodels_the_tests_wrote() {
  std::vector<std::string> roots{DPU_BUILD_DIR};
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path()))
    if (e.path().filename().string().rfind("dputk_test_", 0) == 0 && e.path().filename().string().rfind("dputk_test_xref", 0) != 0)
      roots.push_back(e.path().string());
  std::vector<std::string> out;
  for (const auto& r : roots)
    for (auto it = fs::recursive_directory_iterator(r, fs::directory_options::skip_permission_denied); it != fs::recursive_directory_iterator(); ++it)
      if (it->is_regular_file() && it->path().extension() == ".xmodel") {
        try {
          xir::Graph::deserialize(it->path().string());  // written broken on purpose (bad-input tests): not ours to vouch for
          out.push_back(it->path().string());
        } catch (const std::exception&) {
        }
      }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RealXir, LoadsEveryXmodelTheTestsWroteAndWritesBackTheSameGraph) {
  const auto files = xmodels_the_tests_wrote();
  ASSERT_GE(files.size(), 40u) << "expected the xmodels of the whole suite (run after the other tests: ctest -L xilinx)";
  const std::string dir = scratch_dir("xref_files");
  int i = 0;
  std::set<std::string> kinds;
  for (const auto& f : files) {
    const std::string txt = dir + "/" + std::to_string(i) + ".txt", back = dir + "/" + std::to_string(i) + ".xmodel";
    ++i;
    const auto dump = xilinx(ref_bin("xir"), "dump_txt " + f + " " + txt);
    EXPECT_EQ(dump.code, 0) << f << ": real XIR cannot load it\n" << dump.out;
    const auto rt = xilinx(ref_bin("xir_roundtrip"), f + " " + back);
    EXPECT_EQ(rt.code, 0) << f << "\n" << rt.out;
    if (rt.code != 0) continue;
    const auto diff = xilinx("/usr/bin/python3 " + kRef + "/tools/py/xmodel_diff.py", f + " " + back);
    EXPECT_EQ(diff.code, 0) << f << ": real XIR writes back a different graph\n" << diff.out;
    kinds.insert(f.find("_int.xmodel") != std::string::npos ? "quantized" : f.find("compiled") != std::string::npos ? "compiled" : "other");
  }
  RecordProperty("files", static_cast<int>(files.size()));
  std::cout << "checked " << files.size() << " xmodels\n";
  EXPECT_EQ(kinds.size(), 3u);
}

class XilinxMadeFile : public ::testing::TestWithParam<std::string> {};

TEST_P(XilinxMadeFile, OurRoundtripEqualsRealXirsOwn) {
  const std::string f = data_path(GetParam());
  const std::string dir = scratch_dir("xref_rt_" + fs::path(f).stem().string());
  const auto ours = run_cli("xmodel-tool", "roundtrip " + f + " " + dir + "/ours.xmodel");
  ASSERT_EQ(ours.code, 0) << ours.out;
  const auto real = xilinx(ref_bin("xir_roundtrip"), f + " " + dir + "/xir.xmodel");
  ASSERT_EQ(real.code, 0) << real.out;
  const auto py = xilinx("/usr/bin/python3 " + kRef + "/tools/py/xmodel_diff.py", dir + "/ours.xmodel " + dir + "/xir.xmodel");
  EXPECT_EQ(py.code, 0) << py.out;
  const auto tool = run_cli("xmodel-tool", "diff " + dir + "/ours.xmodel " + dir + "/xir.xmodel");
  EXPECT_EQ(tool.code, 0) << tool.out;
}

INSTANTIATE_TEST_SUITE_P(Xilinx, XilinxMadeFile,
                         ::testing::Values("xmodels/kv260_mnist_cnn/CNN_kv260.xmodel", "xmodels/kv260_mnist_cnn/CNN_int.xmodel",
                                           "xmodels/cifar_resnet20_vaiq/CifarResNet_int.xmodel"),
                         [](const auto& info) {
                           std::string s = fs::path(info.param).stem().string();
                           return s;
                         });

}  // namespace
