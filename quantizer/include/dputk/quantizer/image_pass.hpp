// One pass of a network over calibration images — what the statistics, bias correction and the
// weights' rounding each do: batches made and preprocessed, the executor run with an observer, a
// progress line.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/data/preprocess.hpp"
#include "dputk/engine/float_executor.hpp"

namespace dputk {

// The quantized network as calibrated, each op's own value (a layer's before its activation), fix ops
// at their fix points: its convolutions read fix-quantized inputs with fix-quantized weights, so they
// run in int8 (exact sums).
engine::FloatExecutorOptions calibrated_network_options();

// Called for each step's value; `first` is the batch's first image as a position in `indices`, `count`
// its images.
using ImageObserver = std::function<void(std::size_t first, std::size_t count, const xir::Op* op, engine::FloatTensor& value)>;

// Runs `exec` over the images of `indices` in batches of `batch_size`, with a progress line headed
// `label` (none when empty).
void run_over_images(engine::FloatExecutor& exec, const Dataset& data, const std::vector<std::size_t>& indices,
                     const Preprocess& preprocess, std::size_t batch_size, const std::string& label, const ImageObserver& observe);

}  // namespace dputk
