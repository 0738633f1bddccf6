#include "dputk/quantizer/deploy.hpp"

#include <glog/logging.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "dputk/common/atomic_file.hpp"
#include "dputk/engine/dpu_executor.hpp"
#include "dputk/compiler/lower.hpp"

namespace dputk {

namespace fs = std::filesystem;

std::string dump_name(const std::string& tensor) {
  std::string s = tensor;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

namespace {

std::string shape_text(const std::vector<std::int32_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// <stem>.bin: float32 values.
void write_floats(const fs::path& dir, const std::string& stem, const std::vector<float>& f) {
  write_file_atomic((dir / (stem + ".bin")).string(), std::string(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(float)));
}

// Writes the dumps of one tensor — an int8 one as its bytes and its float values, a float one (a graph
// output the CPU computes in float: a float tail, a softmax) as its values; returns its shape.txt line.
std::string dump_tensor(const fs::path& dir, const std::string& tensor, const engine::DpuTensor& v) {
  const std::string stem = dump_name(tensor);
  if (!v.real.empty()) {
    write_floats(dir, stem, v.real);
  } else {
    write_file_atomic((dir / (stem + "_fix.bin")).string(), std::string(reinterpret_cast<const char*>(v.data.data()), v.data.size()));
    std::vector<float> f(v.data.size());
    engine::dequantize(v, f.data());
    write_floats(dir, stem, f);
  }
  return shape_text(v.shape) + ": " + tensor + "\n";
}

std::size_t write_dumps(const xir::Graph& quantized, const engine::FloatTensor& one_input, const fs::path& final_dir) {
  auto lowered = lower_to_fix_form(quantized);
  engine::DpuExecutor exec(*lowered);
  if (one_input.shape.empty() || one_input.shape[0] != 1) throw std::invalid_argument("deploy check: one input image expected");
  const auto in = engine::quantize_tensor(one_input, exec.input_fix_point(0));
  // Written into a fresh sibling directory, then renamed over the old one: whole or not at all.
  const fs::path tmp = final_dir.string() + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  std::ostringstream shapes;
  std::size_t count = 0;
  for (const xir::Op* op : lowered->topological_sort()) {
    if (op->get_type() != "const-fix") continue;
    engine::DpuTensor p;
    p.shape = op->get_output_tensor()->get_shape();
    p.fix_point = op->get_output_tensor()->get_attr<std::int32_t>("fix_point");
    const auto& bytes = op->get_attr<std::vector<char>>("data");
    p.data.assign(bytes.begin(), bytes.end());
    shapes << dump_tensor(tmp, op->get_output_tensor()->get_name(), p);
    ++count;
  }
  exec.run({&in}, [&](const xir::Op* op, const engine::DpuTensor& v) {
    // Float views of tensors dumped already, and float values inside the CPU subgraphs; a float graph
    // output is dumped.
    if (op->get_type() == "fix2float" || (!v.real.empty() && op->get_fanout_num() != 0)) return;
    shapes << dump_tensor(tmp, op->get_output_tensor()->get_name(), v);
    ++count;
  });
  write_file_atomic((tmp / "shape.txt").string(), shapes.str());
  fs::remove_all(final_dir);
  fs::create_directories(final_dir.parent_path());
  fs::rename(tmp, final_dir);
  return count;
}

}  // namespace

DeployResult export_deploy(const xir::Graph& quantized, const engine::FloatTensor& one_input, const std::string& output_dir) {
  DeployResult r;
  const std::string graph = quantized.get_name();
  LOG(INFO) << "=>Converting to xmodel ...";
  r.xmodel = (fs::path(output_dir) / (graph + "_int.xmodel")).string();
  quantized.serialize(r.xmodel);
  LOG(INFO) << "=>Successfully convert '" << graph << "' to xmodel.(" << r.xmodel << ")";
  r.dump_dir = (fs::path(output_dir) / "deploy_check_data_int" / graph).string();
  r.dumped_tensors = write_dumps(quantized, one_input, r.dump_dir);
  LOG(INFO) << "=>Deploy check data: " << r.dumped_tensors << " tensors in " << r.dump_dir;
  const std::string pt = (fs::path(output_dir) / (graph + "_int.pt")).string();
  // The TorchScript module is a convenience beside the xmodel (the DPU's deployable): an op with no
  // torch form leaves it out with a warning instead of failing the export.
  try {
    if (export_torchscript(quantized, pt)) {
      r.torchscript = pt;
      LOG(INFO) << "=>Exported TorchScript module.(" << pt << ")";
    } else {
      LOG(WARNING) << "built without libtorch (DPUTK_WITH_TORCHSCRIPT=OFF): no " << pt;
    }
  } catch (const std::exception& e) {
    LOG(WARNING) << "no TorchScript module " << pt << ": " << e.what();
  }
  return r;
}

}  // namespace dputk
