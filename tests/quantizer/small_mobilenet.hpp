// Google's QAT MobileNetV1 0.25/128 on the first 8 val_500 images, ReLU6 kept: the small real network
// the quantizer's pass-level tests (bias correction, fast finetune) run on.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/quantizer/quantize.hpp"
#include "test_data.hpp"

namespace dputk::test {

struct SmallMobileNet {
  std::unique_ptr<Dataset> data = open_dataset(data_path("imagenet/val_500"), data_path("imagenet/val_500.txt"));
  Preprocess pre = [] {
    Preprocess p = Preprocess::preset("inception");
    p.resize = 146;
    p.crop = 128;
    return p;
  }();
  std::vector<std::size_t> ids{0, 1, 2, 3, 4, 5, 6, 7};

  // The prepared float network; with `stats`, prepared with the images' statistics and given them as
  // they stand for it (PrepareOptions::prepared_stats).
  std::unique_ptr<xir::Graph> prepare(ChannelStats* stats = nullptr) const {
    PrepareOptions po;
    po.relu6_replace = "keep";
    if (stats) {
      po.channel_stats = [this](const xir::Graph& g) { return gather_channel_stats(g, *data, ids, pre, 8); };
      po.prepared_stats = stats;
    }
    return load_prepared_model(data_path("imagenet/mobilenet_v1_0.25_128_quant_dequant.onnx"), po, nullptr, true);
  }
  QuantGraph calibrate(const xir::Graph& prepared) const { return calibrate_model(prepared, *data, ids, pre, 8, {}, nullptr, true); }
};

}  // namespace dputk::test
