// libFuzzer target: an image through the dataset loader (list file → OpenCV decode → RGB) and every
// preprocessing preset (resize, crop, normalize), as calibration and the app use them.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dputk;
  static const std::string list = [] {
    const std::string p = fuzz::scratch() + "/list.txt";
    std::ofstream(p) << "img 3\n";
    return p;
  }();
  fuzz::write_scratch("img", data, size);
  try {
    auto ds = open_dataset(fuzz::scratch(), list);
    const cv::Mat img = ds->load(0);
    for (const auto& name : Preprocess::preset_names()) {
      const Preprocess p = Preprocess::preset(name);
      const auto hwc = output_hwc(img, p);  // how callers size the buffer
      std::vector<float> out(static_cast<std::size_t>(hwc[0]) * hwc[1] * hwc[2]);
      preprocess_into(img, p, out.data());
    }
  } catch (const std::exception&) {
  }
  return 0;
}
