// resnet50 — the VART application that runs on the board: classifies images with the DPU subgraph of
// a compiled xmodel, as Xilinx's VART ResNet50 sample does (find the DPU subgraph, create a runner
// per thread, quantize the preprocessed image with the input fix point, run, dequantize, softmax on
// the CPU). Built against our emulation (DPU_RUNTIME=emu) or Xilinx's XIR/VART (DPU_RUNTIME=vart)
// from the same source: it uses only the XIR/VART API, OpenCV preprocessing and the fix neuron.
//
//   resnet50 MODEL.xmodel (IMAGE_DIR | LIST_FILE) [--labels synset_words.txt] [--threads N]
//            [--preprocess torchvision] [--top-k 5] [--verbose] [--skip N] [--limit N]
// A list file has lines "file class_index [synset]"; its images are in the folder named like the
// list without extension (val_500.txt → val_500/) or beside it. With class indices the app reports
// top-1/top-5 accuracy.
#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "app_common.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/common/memory.hpp"
#include "dputk/data/dataset.hpp"
#include "dputk/dpu/fix_math.hpp"
#include "dputk/data/preprocess.hpp"
#include "vart/runner.hpp"
#include "vart/runner_ext.hpp"
#include "vart/runner_helper.hpp"
#include "xir/graph/graph.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the labels file");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

struct Prediction {
  std::vector<int> top;       // class indices, best first
  std::vector<float> prob;    // their softmax probabilities
};

Prediction classify(const std::int8_t* out, int classes, float scale, int k) {
  std::vector<float> p(static_cast<std::size_t>(classes));
  float mx = -1e30f;
  for (int c = 0; c < classes; ++c) mx = std::max(mx, p[c] = out[c] * scale);
  float sum = 0.0f;
  for (float& v : p) sum += (v = std::exp(v - mx));
  std::vector<int> idx(static_cast<std::size_t>(classes));
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, classes);
  // ties keep the lower class index (as argmax does)
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  Prediction r;
  for (int i = 0; i < k; ++i) {
    r.top.push_back(idx[i]);
    r.prob.push_back(p[idx[i]] / sum);
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  dputk::rerun_with_huge_page_malloc(argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"Classify images with the DPU subgraph of a compiled xmodel (VART application)."};
  std::string model, images, labels_path, preprocess = "torchvision";
  int threads = 1, top_k = 5, resize = -1, crop = -1;
  std::size_t limit = 0, skip = 0;
  bool verbose = false, skip_bad = false;
  std::string save_outputs;
  app.add_option("model", model, "compiled xmodel")->required();
  app.add_option("images", images, "image folder, or list file (\"file class_index\" lines)")->required();
  app.add_option("--labels", labels_path, "class names, one per line (synset_words.txt)");
  app.add_option("--threads", threads, "runner threads")->check(CLI::PositiveNumber);
  app.add_option("--preprocess", preprocess, "preprocessing preset: " + [] {
    std::string s;
    for (const auto& n : dputk::Preprocess::preset_names()) s += (s.empty() ? "" : ", ") + n;
    return s;
  }());
  app.add_option("--resize", resize, "shorter side resized to N before the crop (default: the preset's)")->check(CLI::NonNegativeNumber);
  app.add_option("--crop", crop, "centre crop N x N (default: the preset's; it must give the model's input size)")->check(CLI::NonNegativeNumber);
  app.add_option("--top-k", top_k, "classes to report per image")->check(CLI::PositiveNumber);
  app.add_option("--skip", skip, "leave out the first N images (e.g. the calibration subset)");
  app.add_option("--limit", limit, "classify at most N images (0 = all)");
  app.add_flag("--verbose", verbose, "print the top-k classes of every image");
  app.add_flag("--skip-bad-images", skip_bad, "leave out images that cannot be decoded (truncated, corrupt) and count them, instead of stopping");
  app.add_option("--save-outputs", save_outputs,
                 "write the raw int8 DPU outputs of all images, in order, to this file (to compare a board with the emulator)");
  CLI11_PARSE(app, argc, argv);
  try {
    auto graph = xir::Graph::deserialize(model);
    const xir::Subgraph* sg = dputk::app::dpu_subgraph(*graph, model);
    auto pre = dputk::Preprocess::preset(preprocess);
    if (resize >= 0) pre.resize = resize;
    if (crop >= 0) pre.crop = crop;
    auto data = dputk::app::open_images(images);
    if (skip_bad) {
      std::vector<std::string> skipped;
      data = dputk::without_unreadable_images(std::move(data), &skipped);
      for (const auto& s : skipped) LOG(WARNING) << "skipped: " << s;
      std::cout << "Skipped images: " << skipped.size() << " (unreadable; --skip-bad-images)\n";
    }
    std::vector<std::string> labels;
    if (!labels_path.empty()) labels = read_labels(labels_path);
    if (skip >= data->size()) throw std::runtime_error(images + ": --skip " + std::to_string(skip) + " leaves no images of " + std::to_string(data->size()));
    const std::size_t n = limit ? std::min(limit, data->size() - skip) : data->size() - skip;

    // One runner per thread (runners are not shared between threads).
    std::vector<std::unique_ptr<vart::Runner>> runners;
    for (int t = 0; t < threads; ++t) runners.push_back(vart::Runner::create_runner(sg, "run"));
    const xir::Tensor* in_t = runners[0]->get_input_tensors().at(0);
    const xir::Tensor* out_t = runners[0]->get_output_tensors().at(0);
    const int in_fp = in_t->get_attr<std::int32_t>("fix_point");
    const float out_scale = vart::get_output_scale(out_t);
    const int batch = in_t->get_shape().at(0);
    const std::size_t in_size = static_cast<std::size_t>(in_t->get_element_num() / batch);
    const int classes = static_cast<int>(out_t->get_element_num() / batch);
    LOG(INFO) << "DPU subgraph " << sg->get_name() << ": input " << in_t->get_name() << " fix_point " << in_fp << ", output "
              << out_t->get_name() << " (" << classes << " classes), batch " << batch << ", " << threads << " thread(s)";

    std::vector<Prediction> preds(n);
    std::vector<std::int8_t> raw(save_outputs.empty() ? 0 : n * static_cast<std::size_t>(classes));
    std::atomic<std::size_t> next{0};
    std::atomic<long long> dpu_ns{0};
    std::mutex print;
    const auto t0 = Clock::now();
    std::exception_ptr failure;  // the first error of any worker (a bad image): reported after all stop
    std::mutex failure_lock;
    auto work = [&](int id) {
      vart::Runner* runner = runners[static_cast<std::size_t>(id)].get();
      dputk::app::RunnerBuffers buffers(runner);
      const auto& ins = buffers.in;
      const auto& outs = buffers.out;
      std::vector<float> pixels(in_size);
      const dputk::dpu::FixSpec fix{in_fp, 8, true, dputk::dpu::RoundMode::DPU_ROUND};
      std::vector<std::size_t> ids;
      while (true) {
        ids.clear();
        for (int b = 0; b < batch; ++b) {
          const std::size_t i = next++;
          if (i < n) ids.push_back(i);
        }
        if (ids.empty()) break;
        for (std::size_t b = 0; b < ids.size(); ++b) {
          const cv::Mat image = data->load(skip + ids[b]);
          dputk::check_preprocessed_size(image, pre, in_t->get_shape(), data->name(skip + ids[b]), model + "'s DPU input '" + in_t->get_name() + "'");
          dputk::preprocess_into(image, pre, pixels.data());
          auto* dst = reinterpret_cast<std::int8_t*>(ins[0]->data({static_cast<std::int32_t>(b), 0, 0, 0}).first);
          for (std::size_t j = 0; j < in_size; ++j) dst[j] = static_cast<std::int8_t>(dputk::dpu::quantize_value(pixels[j], fix));
        }
        const auto d0 = Clock::now();
        buffers.run(runner);
        dpu_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - d0).count();
        for (std::size_t b = 0; b < ids.size(); ++b) {
          std::vector<std::int32_t> idx(out_t->get_shape().size(), 0);
          idx[0] = static_cast<std::int32_t>(b);
          const auto* out = reinterpret_cast<const std::int8_t*>(outs[0]->data(idx).first);
          preds[ids[b]] = classify(out, classes, out_scale, top_k);
          if (!raw.empty()) std::copy(out, out + classes, raw.begin() + static_cast<long>(ids[b] * static_cast<std::size_t>(classes)));
          if (verbose) {
            std::lock_guard<std::mutex> lock(print);
            std::cout << "image " << data->name(skip + ids[b]) << "\n";
            for (std::size_t k = 0; k < preds[ids[b]].top.size(); ++k) {
              const int c = preds[ids[b]].top[k];
              std::cout << "top[" << k << "] prob = " << std::fixed << std::setprecision(6) << preds[ids[b]].prob[k]
                        << "  name = " << (c < static_cast<int>(labels.size()) ? labels[c] : std::to_string(c)) << "\n";
            }
          }
        }
      }
    };
    auto worker = [&](int id) {
      try {
        work(id);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_lock);
        if (!failure) failure = std::current_exception();
        next = n;  // the others stop at their next batch
      }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();

    if (!save_outputs.empty()) {
      dputk::write_file_atomic(save_outputs, std::string(reinterpret_cast<const char*>(raw.data()), raw.size()));
      std::cout << "Outputs: " << save_outputs << " (" << n << " x " << classes << " int8, fix_point "
                << out_t->get_attr<std::int32_t>("fix_point") << ")\n";
    }
    std::size_t top1 = 0, top5 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& p = preds[i].top;
      const int truth = data->label(skip + i);
      const auto top5_end = p.begin() + static_cast<long>(std::min<std::size_t>(5, p.size()));
      top1 += !p.empty() && p[0] == truth;
      top5 += std::find(p.begin(), top5_end, truth) != top5_end;
    }
    std::cout << std::fixed << std::setprecision(4) << "Images: " << n << "\n";
    if (data->has_labels()) {
      std::cout << "Accuracy: " << 100.0 * top1 / n << "% (top-1)\n";
      if (top_k >= 5) std::cout << "Top-5: " << 100.0 * top5 / n << "%\n";
    }
    std::cout << std::setprecision(1) << "End-to-end: " << n / seconds << " images/s (decode, preprocess, DPU, softmax; " << threads
              << " thread(s))\n"
              << "DPU only: " << n / (dpu_ns.load() * 1e-9 / threads) << " images/s\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "resnet50: error: " << e.what() << "\n";
    return 1;
  }
}
