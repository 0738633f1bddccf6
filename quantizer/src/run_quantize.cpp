#include <glog/logging.h>

#include <cstdio>
#include <stdexcept>

#include "dputk/dataset.hpp"
#include "dputk/engine/float_executor.hpp"
#include "dputk/evaluate.hpp"
#include "dputk/onnx_import.hpp"
#include "dputk/quantize_options.hpp"

namespace dputk {

namespace {

void check_input_geometry(const xir::Graph& graph, const engine::FloatExecutor& exec, const Dataset& data,
                          const std::vector<std::size_t>& indices, const Preprocess& p) {
  if (exec.input_ops().size() != 1)
    throw std::runtime_error("model '" + graph.get_name() + "' has " + std::to_string(exec.input_ops().size()) +
                             " inputs; image classification needs exactly one");
  const auto& want = exec.input_ops()[0]->get_output_tensor()->get_shape();
  if (want.size() != 4) throw std::runtime_error("model input '" + exec.input_ops()[0]->get_name() + "' is not an image (rank " +
                                                 std::to_string(want.size()) + ")");
  cv::Mat first = data.load(indices.front());
  auto hwc = output_hwc(first, p);
  if (hwc[0] != want[1] || hwc[1] != want[2] || hwc[2] != want[3])
    throw std::runtime_error("preprocessed images are " + std::to_string(hwc[1]) + "x" + std::to_string(hwc[0]) + "x" +
                             std::to_string(hwc[2]) + " but the model input '" + exec.input_ops()[0]->get_name() + "' wants " +
                             std::to_string(want[2]) + "x" + std::to_string(want[1]) + "x" + std::to_string(want[3]) +
                             " (W x H x C); set --preprocess or --resize/--crop");
}

int run_float(const QuantizeOptions& o) {
  auto graph = import_onnx(o.model);
  auto data = open_dataset(o.data_dir, o.val_list);
  auto indices = select_indices(data->size(), o.subset_len, o.sample_method == "random", o.seed);
  LOG(INFO) << "model " << o.model << " (" << graph->get_op_num() << " ops), data " << data->description() << ", "
            << indices.size() << " images, preprocessing: " << o.preprocess.describe();
  engine::FloatExecutor exec(*graph);
  check_input_geometry(*graph, exec, *data, indices, o.preprocess);
  Classifier model = [&](const engine::FloatTensor& batch) { return std::move(exec.run({&batch})[0]); };
  EvalResult r = evaluate(*data, indices, o.preprocess, model, o.batch_size, "float evaluation");
  std::printf("Accuracy: %.4f%%\nTop-5: %.4f%%\nImages: %zu\n", r.top1_percent(), r.top5_percent(), r.images);
  LOG(INFO) << "float evaluation: " << r.images << " images in " << r.seconds << " s (" << r.images_per_second() << " images/s)";
  return 0;
}

}  // namespace

int run_quantize(const QuantizeOptions& o) {
  if (o.model.empty()) throw std::invalid_argument("--model is required");
  if (o.data_dir.empty()) throw std::invalid_argument("--data_dir is required");
  if (o.quant_mode == "float") return run_float(o);
  if (o.quant_mode == "calib" || o.quant_mode == "test")
    throw std::invalid_argument("--quant_mode " + o.quant_mode + " is not available in this build yet; only 'float' is");
  throw std::invalid_argument("--quant_mode must be float, calib or test (got '" + o.quant_mode + "')");
}

}  // namespace dputk
