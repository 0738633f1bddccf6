// Turning dataset samples into model input batches (decoded and preprocessed in parallel).
#pragma once
#include <vector>

#include "dputk/data/dataset.hpp"
#include "dputk/engine/float_tensor.hpp"
#include "dputk/data/preprocess.hpp"

namespace dputk {

struct Batch {
  engine::FloatTensor input;  // [N,H,W,C] (or NCHW when the preprocessing asks for it)
  std::vector<int> labels;
};

// All images of one batch must preprocess to the same size (use resize/crop for photos).
Batch make_batch(const Dataset& data, const std::vector<std::size_t>& indices, const Preprocess& p);

// `indices` in order, cut into batches of at most `n` (the last one may be shorter): a pass over a set.
std::vector<std::vector<std::size_t>> batches_of(const std::vector<std::size_t>& indices, std::size_t n);

}  // namespace dputk
