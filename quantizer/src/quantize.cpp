#include "dputk/quantizer/quantize.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "dputk/data/batch.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "dputk/engine/op_plugins.hpp"
#include "dputk/onnx/onnx_import.hpp"
#include "dputk/common/progress.hpp"

namespace dputk {

std::unique_ptr<xir::Graph> load_prepared_model(const std::string& onnx_path, const PrepareOptions& options,
                                                std::vector<std::string>* log, bool quiet) {
  OnnxImportOptions io;
  // Custom ops: declared by the config (custom_ops), or with a plugin on the search path.
  io.custom_op = [](const std::string& type) {
    if (dpu::is_cpu_float_op(type)) return true;
    if (!engine::has_op_plugin(type)) return false;
    LOG(INFO) << "custom op type '" << type << "': " << engine::op_plugin_file(type) << " found, the op stays in float for the CPU";
    dpu::declare_cpu_float_op(type);
    return true;
  };
  auto graph = import_onnx(onnx_path, io);
  auto changes = prepare_graph(*graph, options);
  if (!quiet)
    for (const auto& c : changes) LOG(INFO) << c;
  if (log) *log = changes;
  return graph;
}

QuantGraph calibrate_model(const xir::Graph& prepared, const Dataset& data, const std::vector<std::size_t>& indices,
                           const Preprocess& preprocess, int batch_size, const CalibOptions& options,
                           std::vector<std::string>* warnings, bool quiet) {
  QuantGraph qg = build_quant_graph(prepared);
  Calibrator calib(qg, options);
  engine::FloatExecutorOptions eo;
  eo.fix_hook = calib.hook();
  if (options.int8_convolutions) eo.fix_point_of = [&calib](const xir::Op* fix) { return calib.fix_point_of(fix); };
  engine::FloatExecutor exec(*qg.graph, eo);
  std::optional<Progress> progress;
  if (!quiet) progress.emplace("calibration", indices.size());
  for (const auto& ids : batches_of(indices, static_cast<std::size_t>(batch_size))) {
    Batch b = make_batch(data, ids, preprocess);
    exec.run({&b.input});
    calib.next_batch();
    if (progress) progress->advance(ids.size());
  }
  if (progress) progress->finish();
  auto w = calib.finish();
  if (!quiet)
    for (const auto& s : w) LOG(WARNING) << "[QUANTIZER_SHIFT_CHECK] " << s;
  if (warnings) *warnings = w;
  return qg;
}

bool is_pointwise_conv(const xir::Op& op) {
  return op.get_type() == "conv2d" && op.get_attr_or<std::int32_t>("group", 1) == 1 &&
         op.get_attr<std::vector<std::int32_t>>("kernel") == std::vector<std::int32_t>{1, 1};
}

std::map<std::string, std::vector<double>> input_energies(const xir::Graph& prepared, const ChannelStats& stats, bool pointwise) {
  std::map<std::string, std::vector<double>> energy;
  for (const xir::Op* op : prepared.get_ops())
    if (op->get_type() == "depthwise-conv2d" || (pointwise && is_pointwise_conv(*op)))
      if (const ChannelStat* s = input_stat(stats, *op)) energy[op->get_name()] = s->mean_square;
  return energy;
}

Classifier float_classifier(engine::FloatExecutor& exec) {
  return [&exec](const engine::FloatTensor& batch) { return std::move(exec.run({&batch})[0]); };
}

Classifier dpu_classifier(engine::DpuExecutor& exec) {
  return [&exec](const engine::FloatTensor& batch) {
    const engine::DpuTensor in = engine::quantize_tensor(batch, exec.input_fix_point(0));
    auto outs = exec.run({&in});
    engine::FloatTensor logits(outs[0].shape);
    engine::dequantize(outs[0], logits.data.data());
    return logits;
  };
}

std::vector<LayerSqnr> layer_sqnr(const xir::Graph& float_graph, const xir::Graph& lowered, engine::DpuExecutor& dpu,
                                  const engine::FloatTensor& batch) {
  // The DPU's int8 values first (a quarter of the memory float ones take), keyed by the float op each
  // stands for; then one float run compares them as its values appear, each dropped once used.
  struct Quantized {
    std::string op;
    engine::DpuTensor value;
    std::string source;
  };
  std::map<std::string, std::vector<Quantized>> pending;
  const engine::DpuTensor in = engine::quantize_tensor(batch, dpu.input_fix_point(0));
  dpu.run({&in}, [&](const xir::Op* op, const engine::DpuTensor& q) {
    if (q.data.empty()) return;  // float ops on the CPU
    const std::string source = op->has_attr("__float_source") ? op->get_attr<std::string>("__float_source") : op->get_name();
    pending[source].push_back({op->get_name(), q, source});
  });
  std::vector<LayerSqnr> out;
  engine::FloatExecutorOptions fo;
  fo.fuse = false;  // every op's own value
  engine::FloatExecutor fexec(float_graph, fo);
  fexec.run({&batch}, [&](const xir::Op* op, engine::FloatTensor& v) {
    auto it = pending.find(op->get_name());
    if (it == pending.end()) return;
    for (const Quantized& q : it->second) {
      if (v.numel() != q.value.numel()) continue;
      double sig = 0.0, noise = 0.0;
      const double scale = std::ldexp(1.0, -q.value.fix_point);
      for (std::size_t i = 0; i < q.value.data.size(); ++i) {
        const double f = v.data[i], d = f - q.value.data[i] * scale;
        sig += f * f;
        noise += d * d;
      }
      out.push_back({q.op, q.source, noise > 0 ? 10.0 * std::log10(sig / noise) : 200.0, q.value.fix_point});
    }
    pending.erase(it);
  });
  std::sort(out.begin(), out.end(), [](const LayerSqnr& a, const LayerSqnr& b) {
    return a.sqnr_db != b.sqnr_db ? a.sqnr_db < b.sqnr_db : a.op < b.op;
  });
  return out;
}

}  // namespace dputk
