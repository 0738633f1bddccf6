// segment — the VART semantic segmentation application (the Vitis AI Library segmentation sample's
// job): runs the DPU subgraph of a compiled segmentation model on each image, upsamples the score map
// to the input size on the CPU (bilinear, with the model's own align_corners when its final resize is
// in the xmodel), takes the label of every pixel and writes a colour label map and an overlay per image.
// Built against our emulation or Xilinx's XIR/VART from the same source, like resnet50.
//
//   segment MODEL.xmodel (IMAGE_DIR | LIST_FILE) --out DIR [--preprocess deeplab] [--skip N] [--limit N]
// Prints each class's share of all pixels and images/s. Class names: PASCAL VOC's 21 (DeepLab), or
// indices when the model has another number of classes.
#include <CLI/CLI.hpp>
#include <glog/logging.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "app_common.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/common/memory.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/data/voc_palette.hpp"
#include "dputk/dpu/fix_math.hpp"
#include "dputk/dpu/resize_sampling.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// A label's PASCAL VOC colour, in OpenCV's BGR order.
cv::Vec3b voc_colour(int label) {
  const auto bgr = dputk::voc_bgr(label);
  return {bgr[0], bgr[1], bgr[2]};
}

// How the model resizes its score map (the resize / upsample-fix after the DPU), default half-pixel.
struct Upsample {
  bool align_corners = false;
  bool half_pixel_centers = true;
};
Upsample model_upsample(const xir::Graph& graph) {
  Upsample u;
  for (const xir::Op* op : graph.get_ops())
    if (op->get_type() == "upsample-fix" || op->get_type() == "resize") {
      u.align_corners = op->has_attr("align_corners") && op->get_attr<bool>("align_corners");
      u.half_pixel_centers = op->has_attr("half_pixel_centers") && op->get_attr<bool>("half_pixel_centers");
    }
  return u;
}

// Labels of an [h, w, classes] int8 score map upsampled to oh × ow.
cv::Mat labels_of(const std::int8_t* s, int h, int w, int classes, int oh, int ow, const Upsample& up) {
  const auto ya = dputk::dpu::resize_axis(h, oh, true, up.align_corners, up.half_pixel_centers);
  const auto xa = dputk::dpu::resize_axis(w, ow, true, up.align_corners, up.half_pixel_centers);
  const auto &y0 = ya.lo, &y1 = ya.hi, &x0 = xa.lo, &x1 = xa.hi;
  const auto &wy = ya.lerp, &wx = xa.lerp;
  cv::Mat out(oh, ow, CV_8UC1);
  std::vector<float> v(static_cast<std::size_t>(classes));
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      const std::int8_t* a = s + (static_cast<std::size_t>(y0[y]) * w + x0[x]) * classes;
      const std::int8_t* b = s + (static_cast<std::size_t>(y0[y]) * w + x1[x]) * classes;
      const std::int8_t* c = s + (static_cast<std::size_t>(y1[y]) * w + x0[x]) * classes;
      const std::int8_t* d = s + (static_cast<std::size_t>(y1[y]) * w + x1[x]) * classes;
      int best = 0;
      for (int k = 0; k < classes; ++k) {
        const float top = a[k] * (1 - wx[x]) + b[k] * wx[x], bottom = c[k] * (1 - wx[x]) + d[k] * wx[x];
        v[k] = top * (1 - wy[y]) + bottom * wy[y];
        if (v[k] > v[best]) best = k;  // ties keep the lower class (argmax)
      }
      out.at<unsigned char>(y, x) = static_cast<unsigned char>(best);
    }
  return out;
}

void write_png(const std::string& path, const cv::Mat& image) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", image, bytes)) throw std::runtime_error(path + ": PNG encoding failed");
  dputk::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace

int main(int argc, char** argv) {
  dputk::rerun_with_huge_page_malloc(argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  CLI::App app{"Semantic segmentation with the DPU subgraph of a compiled xmodel (VART application)."};
  std::string model, images, out_dir, preprocess = "deeplab";
  std::size_t limit = 0, skip = 0;
  app.add_option("model", model, "compiled xmodel")->required();
  app.add_option("images", images, "image folder, or list file")->required();
  app.add_option("--out", out_dir, "directory for <image>_label.png and <image>_overlay.png")->required();
  app.add_option("--preprocess", preprocess, "preprocessing preset (the input size follows the model)")
      ->check(CLI::IsMember(dputk::Preprocess::preset_names()));
  app.add_option("--skip", skip, "leave out the first N images");
  app.add_option("--limit", limit, "segment at most N images (0 = all)");
  CLI11_PARSE(app, argc, argv);
  try {
    auto graph = xir::Graph::deserialize(model);
    const xir::Subgraph* sg = dputk::app::dpu_subgraph(*graph, model);
    auto runner = vart::Runner::create_runner(sg, "run");
    dputk::app::RunnerBuffers buffers(runner.get());
    const xir::Tensor* in_t = runner->get_input_tensors().at(0);
    const xir::Tensor* out_t = runner->get_output_tensors().at(0);
    const auto& is = in_t->get_shape();
    const auto& os = out_t->get_shape();
    if (is.size() != 4 || os.size() != 4)
      throw std::runtime_error(model + ": the DPU subgraph's input and output must be feature maps (NHWC), got ranks " +
                               std::to_string(is.size()) + " and " + std::to_string(os.size()));
    const int ih = is[1], iw = is[2], h = os[1], w = os[2], classes = os[3];
    auto pre = dputk::Preprocess::preset(preprocess);
    if (ih != iw) throw std::runtime_error(model + ": the input is not square (" + std::to_string(ih) + "x" + std::to_string(iw) + ")");
    pre.resize = pre.crop = ih;  // the shorter side resized to the model's input, centre crop
    const Upsample up = model_upsample(*graph);
    const dputk::dpu::FixSpec fix{in_t->get_attr<std::int32_t>("fix_point"), 8, true, dputk::dpu::RoundMode::DPU_ROUND};
    auto data = dputk::app::open_images(images);
    if (skip >= data->size()) throw std::runtime_error(images + ": --skip " + std::to_string(skip) + " leaves no images");
    const std::size_t n = limit ? std::min(limit, data->size() - skip) : data->size() - skip;
    std::filesystem::create_directories(out_dir);
    LOG(INFO) << "DPU subgraph " << sg->get_name() << ": input " << ih << "x" << iw << ", scores " << h << "x" << w << "x" << classes
              << ", upsampled bilinear" << (up.align_corners ? " (align_corners)" : "");

    std::vector<float> pixels(static_cast<std::size_t>(ih) * iw * 3);
    std::vector<std::int64_t> counts(static_cast<std::size_t>(classes), 0);
    double dpu_seconds = 0;
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      const cv::Mat image = data->load(skip + i);
      dputk::check_preprocessed_size(image, pre, in_t->get_shape(), data->name(skip + i), model + "'s DPU input '" + in_t->get_name() + "'");
      dputk::preprocess_into(image, pre, pixels.data());
      auto* dst = reinterpret_cast<std::int8_t*>(buffers.in[0]->data({0, 0, 0, 0}).first);
      for (std::size_t j = 0; j < pixels.size(); ++j) dst[j] = static_cast<std::int8_t>(dputk::dpu::quantize_value(pixels[j], fix));
      const auto d0 = Clock::now();
      buffers.run(runner.get());
      dpu_seconds += std::chrono::duration<double>(Clock::now() - d0).count();
      const auto* scores = reinterpret_cast<const std::int8_t*>(buffers.out[0]->data({0, 0, 0, 0}).first);
      const cv::Mat labels = labels_of(scores, h, w, classes, ih, iw, up);
      cv::Mat colour(ih, iw, CV_8UC3);
      for (int y = 0; y < ih; ++y)
        for (int x = 0; x < iw; ++x) {
          const int l = labels.at<unsigned char>(y, x);
          ++counts[static_cast<std::size_t>(l)];
          colour.at<cv::Vec3b>(y, x) = voc_colour(l);
        }
      cv::Mat shown;  // the geometry the model saw, in OpenCV's BGR order for the PNG
      cv::cvtColor(dputk::resize_and_crop(image, pre), shown, cv::COLOR_RGB2BGR);
      cv::Mat overlay;
      cv::addWeighted(shown, 0.5, colour, 0.5, 0.0, overlay);
      const std::string stem = std::filesystem::path(data->name(skip + i)).stem().string();
      write_png((std::filesystem::path(out_dir) / (stem + "_label.png")).string(), colour);
      write_png((std::filesystem::path(out_dir) / (stem + "_overlay.png")).string(), overlay);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double total = static_cast<double>(n) * ih * iw;
    std::cout << "Images: " << n << "\nClass pixel shares:\n";
    for (int k = 0; k < classes; ++k)
      if (counts[static_cast<std::size_t>(k)])
        std::cout << "  " << std::left << std::setw(12) << (classes == 21 ? dputk::kVocClasses[k] : std::to_string(k)) << std::right << std::fixed
                  << std::setprecision(2) << std::setw(7) << 100.0 * counts[static_cast<std::size_t>(k)] / total << "%\n";
    std::cout << std::setprecision(1) << "End-to-end: " << n / seconds << " images/s (decode, preprocess, DPU, upsample, PNGs)\n"
              << "DPU only: " << n / dpu_seconds << " images/s\n"
              << "Wrote " << 2 * n << " PNGs to " << out_dir << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "segment: error: " << e.what() << "\n";
    return 1;
  }
}
