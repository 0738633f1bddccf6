// Labelled image sets, read the ways users keep them: an ImageFolder tree (one sub-folder per class),
// a folder plus a list file (`file class_index` lines), a CIFAR-10 binary batch, an MNIST idx file.
#pragma once
#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace dputk {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::size_t size() const = 0;
  // Class index, or -1 when the set has no labels (a plain folder of images).
  virtual int label(std::size_t i) const = 0;
  virtual std::string name(std::size_t i) const = 0;
  // The image as 8-bit RGB (3 channels) or gray (1 channel, MNIST). Throws std::runtime_error naming
  // the file when it cannot be read or decoded.
  virtual cv::Mat load(std::size_t i) const = 0;
  // "ImageFolder /data/train (1000 classes)" etc.
  virtual std::string description() const = 0;
  bool has_labels() const { return size() > 0 && label(0) >= 0; }
};

// Detects the kind of `path` (and uses `list_file` when given). Throws std::runtime_error naming the
// path and what was expected when it is none of the supported kinds.
std::unique_ptr<Dataset> open_dataset(const std::string& path, const std::string& list_file = "");

// The explicit choice to leave unreadable images out (--skip_bad_images): every image of `data` is
// decoded once; those that fail (truncated, corrupt) are left out of the returned set and listed in
// *skipped as "file: reason". Without it a bad image is an error when it is reached.
std::unique_ptr<Dataset> without_unreadable_images(std::unique_ptr<Dataset> data, std::vector<std::string>* skipped);

// Index selection in an order — the set's own (sequential) or a seeded shuffle of it (random) — with
// the first `skip` of that order left out: the next n (n == 0: all the rest), sorted. Random draws of
// the same seed with skip 0 and skip n are disjoint (calibrate on one, test on the other, also in a
// file sorted by class). Fewer than n left is an error.
std::vector<std::size_t> select_indices(std::size_t set_size, std::size_t n, bool random, unsigned seed, std::size_t skip = 0);

}  // namespace dputk
