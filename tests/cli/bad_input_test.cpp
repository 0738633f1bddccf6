// The bad-input suite: every CLI, fed what users actually feed it by mistake, exits non-zero with one
// message naming the file and the problem, and leaves no output file behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"
#include "xir/graph/graph.hpp"

using dputk::test::data_path;
using dputk::test::run_cli;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;
  std::string tool;
  std::string args;                      // $D = the case's scratch dir, $S = ../shared/data
  std::vector<std::string> expect;       // substrings of the message ($D/$S expanded)
  std::function<void(const std::string& dir)> setup = nullptr;
};

std::string expand(std::string s, const std::string& dir) {
  for (auto [key, value] : {std::pair<std::string, std::string>{"$D", dir}, {"$S", std::string(DPU_SHARED_DATA)},
                            {"$A", std::string(DPU_SOURCE_DIR) + "/board"}})
    for (std::size_t p; (p = s.find(key)) != std::string::npos;) s.replace(p, key.size(), value);
  return s;
}

void write(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string tiny_xmodel_bytes() {
  auto g = xir::Graph::create("g");
  auto a = xir::Attrs::create();
  a->set_attr<std::vector<std::int32_t>>("shape", {1, 4, 4, 3});
  a->set_attr<std::string>("data_type", "FLOAT32");
  auto* in = g->add_op("in", "data", std::move(a), {});
  auto* r1 = g->add_op("aa", "relu", nullptr, {{"input", {in}}});
  g->add_op("bb", "relu", nullptr, {{"input", {r1}}});
  std::string bytes;
  g->serialize_to_string(&bytes);
  return bytes;
}

// The same bytes with one 2-letter name changed: `field` is the protobuf key byte in front of it
// (0x0a: an op's own name, 0x12: an op argument's reference to its producer).
std::string rewired(char field, const std::string& from, const std::string& to) {
  std::string bytes = tiny_xmodel_bytes();
  const std::string key = std::string(1, field) + "\x02" + from;
  const auto pos = bytes.find(key);
  if (pos != std::string::npos) bytes.replace(pos, key.size(), std::string(1, field) + "\x02" + to);
  return bytes;
}

const std::string kMnv2 = "--model $S/imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx --preprocess inception";
const std::string kCifar = "--model $S/cifar10/resnet20.onnx --data_dir $S/cifar10/test_batch.bin --preprocess cifar";
const std::string kOut = " --output_dir $D/out";

std::vector<Case> cases() {
  return {
      {"missing_model", "dpu-quantize", "--model $D/none.onnx --data_dir $S/cifar10/test_batch.bin --quant_mode float", {"$D/none.onnx"}},
      {"empty_model", "dpu-quantize", "--model $D/empty.onnx --data_dir $S/cifar10/test_batch.bin --quant_mode calib" + kOut,
       {"$D/empty.onnx"}, [](const std::string& d) { write(d + "/empty.onnx", ""); }},
      {"garbage_model", "dpu-quantize", "--model $D/junk.onnx --data_dir $S/cifar10/test_batch.bin --quant_mode calib" + kOut,
       {"$D/junk.onnx"}, [](const std::string& d) { write(d + "/junk.onnx", std::string(300, '\x7f')); }},
      {"model_input_wrong_size_for_data", "dpu-quantize",
       "--model $S/cifar10/resnet20.onnx --data_dir $S/imagenet/val_500 --val_list $S/imagenet/val_500.txt --preprocess inception --quant_mode calib --subset_len 2" + kOut,
       {"224", "32"}},
      {"missing_data_dir", "dpu-quantize", kMnv2 + " --data_dir $D/nowhere --quant_mode float", {"$D/nowhere"}},
      {"data_file_not_a_dataset", "dpu-quantize", kMnv2 + " --data_dir $D/odd.bin --quant_mode float", {"$D/odd.bin"},
       [](const std::string& d) { write(d + "/odd.bin", std::string(1000, '\1')); }},
      {"image_that_fails_to_decode", "dpu-quantize", kMnv2 + " --data_dir $D/imgs --val_list $D/imgs.txt --quant_mode float",
       {"$D/imgs/broken.JPEG"},
       [](const std::string& d) {
         write(d + "/imgs/broken.JPEG", "this is not a jpeg");
         write(d + "/imgs.txt", "broken.JPEG 3\n");
       }},
      {"list_names_missing_image", "dpu-quantize", kMnv2 + " --data_dir $D/imgs --val_list $D/list.txt --quant_mode float", {"missing.JPEG"},
       [](const std::string& d) {
         fs::create_directories(d + "/imgs");
         write(d + "/list.txt", "missing.JPEG 1\n");
       }},
      {"config_unknown_key", "dpu-quantize", kCifar + " --quant_mode calib --subset_len 10 --config_file $D/c.json" + kOut, {"$D/c.json", "bogus_key"},
       [](const std::string& d) { write(d + "/c.json", R"({"target_device": "DPU", "bogus_key": 1})"); }},
      {"config_forbidden_value", "dpu-quantize", kCifar + " --quant_mode calib --subset_len 10 --config_file $D/c.json" + kOut,
       {"$D/c.json", "bit_width"},
       [](const std::string& d) {
         write(d + "/c.json", R"({"target_device": "DPU", "overall_quantize_config": {"bit_width": 4}})");
       }},
      {"subset_larger_than_data", "dpu-quantize", kCifar + " --quant_mode calib --subset_len 20000" + kOut, {"20000", "10000"}},
      {"test_without_calibration", "dpu-quantize", kCifar + " --quant_mode test" + kOut, {"$D/out/resnet20_int.xmodel", "does not exist"}},
      {"fast_finetune_test_without_param", "dpu-quantize", kCifar + " --quant_mode test --fast_finetune" + kOut, {"$D/out/resnet20_int.xmodel"}},
      {"truncated_xmodel", "xmodel-tool", "dump $D/cut.xmodel", {"$D/cut.xmodel"},
       [](const std::string& d) {
         const std::string b = dputk::read_file(std::string(DPU_SHARED_DATA) + "/xmodels/kv260_mnist_cnn/CNN_kv260.xmodel");
         write(d + "/cut.xmodel", b.substr(0, b.size() / 2));
       }},
      {"empty_xmodel", "xmodel-tool", "dump $D/empty.xmodel", {"$D/empty.xmodel"}, [](const std::string& d) { write(d + "/empty.xmodel", ""); }},
      {"xmodel_dangling_op_name", "xmodel-tool", "dump $D/dangling.xmodel", {"$D/dangling.xmodel", "'aa'"},
       [](const std::string& d) { write(d + "/dangling.xmodel", rewired('\x0a', "aa", "zz")); }},
      {"xmodel_with_a_cycle", "xmodel-tool", "dump $D/cycle.xmodel", {"$D/cycle.xmodel", "names op 'bb', which is not defined before it"},
       [](const std::string& d) { write(d + "/cycle.xmodel", rewired('\x12', "in", "bb")); }},
      {"compile_unknown_fingerprint", "dpu-compile",
       "-x $S/xmodels/kv260_mnist_cnn/CNN_int.xmodel -a $D/arch.json -o $D/out -n m --backend builtin", {"$D/arch.json", "0x1234"},
       [](const std::string& d) { write(d + "/arch.json", R"({"fingerprint": "0x1234"})"); }},
      {"compile_malformed_arch", "dpu-compile", "-x $S/xmodels/kv260_mnist_cnn/CNN_int.xmodel -a $D/arch.json -o $D/out -n m --backend builtin",
       {"$D/arch.json", "not valid JSON"}, [](const std::string& d) { write(d + "/arch.json", "{target: B4096"); }},
      {"compile_an_already_compiled_model", "dpu-compile", "-x $S/xmodels/kv260_mnist_cnn/CNN_kv260.xmodel -a $A/kv260/arch.json -o $D/out -n m --backend builtin",
       {"CNN_kv260.xmodel", "already partitioned"}},
      {"run_uncompiled_xmodel", "dpu-run", "$S/xmodels/cifar_resnet20_vaiq/CifarResNet_int.xmodel $D/in $D/out", {"CifarResNet_int.xmodel", "not partitioned"}},
      {"run_xmodel_compiled_for_another_dpu", "dpu-run", "$D/versal.xmodel $D/in $D/out", {"$D/versal.xmodel", "DPUCVDX8G_ISA3_C32B6", "not a DPUCZDX8G"},
       [](const std::string& d) {
         auto g = xir::Graph::deserialize(std::string(DPU_SHARED_DATA) + "/xmodels/kv260_mnist_cnn/CNN_kv260.xmodel");
         for (xir::Subgraph* s : g->get_root_subgraph()->children_topological_sort())
           if (s->get_attr<std::string>("device") == "DPU") {
             s->set_attr<std::uint64_t>("dpu_fingerprint", 0x0603000000000001ull);
             s->set_attr<std::string>("dpu_name", "DPUCVDX8G_ISA3_C32B6");
           }
         g->serialize(d + "/versal.xmodel");
       }},
      {"run_input_of_wrong_size", "dpu-run", "$S/xmodels/kv260_mnist_cnn/CNN_kv260.xmodel $D/in $D/out", {"$D/in/CNN__input_0_fix.bin", "785 bytes"},
       [](const std::string& d) { write(d + "/in/CNN__input_0_fix.bin", std::string(785, '\0')); }},
      {"app_on_an_uncompiled_model", "resnet50", "$S/xmodels/kv260_mnist_cnn/CNN_int.xmodel $S/imagenet/val_500.txt", {"CNN_int.xmodel", "DPU subgraph"}},
      // ImageNet photos preprocessed to 224x224x3 for a 28x28x1 input: an error, not a write past the input buffer.
      {"app_images_of_another_size", "resnet50", "$S/xmodels/kv260_mnist_cnn/CNN_kv260.xmodel $S/imagenet/val_500.txt --preprocess inception --limit 2",
       {"ILSVRC2012_val_00000347.JPEG", "preprocessed to 224x224x3", "CNN_kv260.xmodel", "28x28x1", "--resize/--crop"}},
  };
}

// Test names (and ctest's) show the case name, not the struct's bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class BadInput : public ::testing::TestWithParam<Case> {};

TEST_P(BadInput, ClearErrorNoOutput) {
  const Case& c = GetParam();
  const std::string dir = dputk::test::scratch_dir("bad_" + c.name);
  if (c.setup) c.setup(dir);
  std::set<std::string> before;
  for (const auto& e : fs::recursive_directory_iterator(dir)) before.insert(e.path().string());
  auto r = run_cli(c.tool, expand(c.args, dir));
  EXPECT_NE(r.code, 0) << r.out;
  for (const auto& want : c.expect) EXPECT_NE(r.out.find(expand(want, dir)), std::string::npos) << "missing '" << expand(want, dir) << "' in:\n" << r.out;
  EXPECT_EQ(r.out.find("Segmentation"), std::string::npos) << r.out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (!before.count(e.path().string())) {
      EXPECT_TRUE(e.is_directory()) << "left behind: " << e.path();
    }
}

INSTANTIATE_TEST_SUITE_P(Cli, BadInput, ::testing::ValuesIn(cases()), [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

}  // namespace
