#include "dputk/data/dataset.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include "dputk/common/atomic_file.hpp"
#include "dputk/data/image_header.hpp"

namespace fs = std::filesystem;

namespace dputk {

namespace {

bool is_image_file(const fs::path& p) {
  static const std::set<std::string> exts{".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp"};
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return exts.count(e) != 0;
}

cv::Mat decode_rgb(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error(path + ": image file not found");
  const std::string bytes = read_file(path);
  if (const std::string why = incomplete_image_reason(bytes); !why.empty()) throw std::runtime_error(path + ": " + why);
  if (const auto wh = declared_image_size(bytes)) {
    if (static_cast<std::uint64_t>(wh->first) * wh->second > kMaxImagePixels)
      throw std::runtime_error(path + ": declares a " + std::to_string(wh->first) + "x" + std::to_string(wh->second) +
                               " image, beyond the " + std::to_string(kMaxImagePixels >> 20) + " Mpixel limit (corrupt or not a photo)");
  }
  cv::Mat bgr = cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data())), cv::IMREAD_COLOR);
  if (bgr.empty()) throw std::runtime_error(path + ": cannot decode image (corrupt, truncated or not an image)");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

// Files on disk with labels (ImageFolder, list file, or unlabelled folder).
class FileDataset : public Dataset {
 public:
  FileDataset(std::string desc, std::vector<std::string> files, std::vector<int> labels)
      : desc_(std::move(desc)), files_(std::move(files)), labels_(std::move(labels)) {}
  std::size_t size() const override { return files_.size(); }
  int label(std::size_t i) const override { return labels_.at(i); }
  std::string name(std::size_t i) const override { return files_.at(i); }
  cv::Mat load(std::size_t i) const override { return decode_rgb(files_.at(i)); }
  std::string description() const override { return desc_; }

 private:
  std::string desc_;
  std::vector<std::string> files_;
  std::vector<int> labels_;
};

std::unique_ptr<Dataset> open_list(const std::string& dir, const std::string& list_file) {
  std::ifstream in(list_file);
  if (!in) throw std::runtime_error(list_file + ": list file not found or unreadable");
  std::vector<std::string> files;
  std::vector<int> labels;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    // "<file> <class_index> [synset]" (val_500.txt has a synset column), or "<file>" alone: an
    // unlabelled image (segmentation, --compare_float); the whole list is one or the other. A file
    // name may contain spaces ("a b.JPEG 472"): the class index is the last integer field, the file
    // name what precedes it.
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    std::vector<std::pair<std::size_t, std::string>> fields;  // (start, text)
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      std::size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) fields.emplace_back(i, line.substr(i, j - i));
      i = j;
    }
    auto is_index = [](const std::string& t) { return !t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos; };
    auto is_synset = [](const std::string& t) { return t.size() == 9 && t[0] == 'n' && t.find_first_not_of("0123456789", 1) == std::string::npos; };
    std::size_t last = fields.size();  // fields after the file name
    if (last >= 3 && is_synset(fields[last - 1].second) && is_index(fields[last - 2].second)) last -= 2;
    else if (last >= 2 && is_index(fields[last - 1].second)) last -= 1;
    long label = -1;
    if (fields.empty()) continue;
    const bool unlabelled = last == fields.size();
    if (!unlabelled) label = std::stol(fields[last].second);
    if (unlabelled && fields.size() > 1 && !fs::exists(fs::path(dir) / line))
      throw std::runtime_error(list_file + ":" + std::to_string(lineno) + ": expected '<file> <class_index>' or '<file>', got '" + line + "'");
    const std::string file = unlabelled ? line.substr(fields[0].first)
                                        : line.substr(fields[0].first, fields[last - 1].first + fields[last - 1].second.size() - fields[0].first);
    if (!labels.empty() && (labels.back() < 0) != unlabelled)
      throw std::runtime_error(list_file + ":" + std::to_string(lineno) + ": mixes labelled and unlabelled lines ('" + line + "')");
    files.push_back((fs::path(dir) / file).string());
    labels.push_back(static_cast<int>(label));
  }
  if (files.empty()) throw std::runtime_error(list_file + ": list file names no images");
  for (std::size_t i = 0; i < files.size(); ++i)
    if (!fs::exists(files[i])) throw std::runtime_error(list_file + ": names image '" + files[i] + "', which does not exist");
  return std::make_unique<FileDataset>("list " + list_file + " over " + dir + " (" + std::to_string(files.size()) + " images)",
                                       std::move(files), std::move(labels));
}

std::unique_ptr<Dataset> open_folder(const std::string& dir) {
  std::vector<fs::path> subdirs, images;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) subdirs.push_back(e.path());
    else if (is_image_file(e.path())) images.push_back(e.path());
  }
  std::sort(subdirs.begin(), subdirs.end());
  std::sort(images.begin(), images.end());
  std::vector<std::string> files;
  std::vector<int> labels;
  if (!subdirs.empty()) {
    // ImageFolder: classes are the sorted sub-folder names.
    for (std::size_t cls = 0; cls < subdirs.size(); ++cls) {
      std::vector<fs::path> in_class;
      for (const auto& e : fs::directory_iterator(subdirs[cls]))
        if (e.is_regular_file() && is_image_file(e.path())) in_class.push_back(e.path());
      std::sort(in_class.begin(), in_class.end());
      for (const auto& p : in_class) {
        files.push_back(p.string());
        labels.push_back(static_cast<int>(cls));
      }
    }
    if (files.empty()) throw std::runtime_error(dir + ": ImageFolder layout with no images in its class folders");
    return std::make_unique<FileDataset>("ImageFolder " + dir + " (" + std::to_string(subdirs.size()) + " classes, " +
                                             std::to_string(files.size()) + " images)",
                                         std::move(files), std::move(labels));
  }
  if (images.empty()) throw std::runtime_error(dir + ": folder holds no images and no class sub-folders");
  for (const auto& p : images) {
    files.push_back(p.string());
    labels.push_back(-1);
  }
  return std::make_unique<FileDataset>("folder " + dir + " (" + std::to_string(files.size()) + " unlabelled images)",
                                       std::move(files), std::move(labels));
}

// CIFAR-10 binary batch: records of 1 label byte + 3072 bytes (R, G, B planes of 32×32).
class CifarDataset : public Dataset {
 public:
  explicit CifarDataset(const std::string& path) : path_(path), bytes_(read_file(path)) {
    if (bytes_.empty() || bytes_.size() % kRecord != 0)
      throw std::runtime_error(path + ": size " + std::to_string(bytes_.size()) + " is not a multiple of the CIFAR-10 record size 3073");
    for (std::size_t i = 0; i < size(); ++i)
      if (static_cast<unsigned char>(bytes_[i * kRecord]) > 9)
        throw std::runtime_error(path + ": record " + std::to_string(i) + " has label " +
                                 std::to_string(static_cast<unsigned char>(bytes_[i * kRecord])) + " (CIFAR-10 labels are 0-9)");
  }
  std::size_t size() const override { return bytes_.size() / kRecord; }
  int label(std::size_t i) const override { return static_cast<unsigned char>(bytes_.at(i * kRecord)); }
  std::string name(std::size_t i) const override { return path_ + "#" + std::to_string(i); }
  cv::Mat load(std::size_t i) const override {
    cv::Mat img(32, 32, CV_8UC3);
    const unsigned char* rec = reinterpret_cast<const unsigned char*>(bytes_.data() + i * kRecord + 1);
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x)
        for (int ch = 0; ch < 3; ++ch) img.at<cv::Vec3b>(y, x)[ch] = rec[ch * 1024 + y * 32 + x];
    return img;
  }
  std::string description() const override { return "CIFAR-10 binary " + path_ + " (" + std::to_string(size()) + " images)"; }
  static constexpr std::size_t kRecord = 3073;

 private:
  std::string path_, bytes_;
};

// Whole file, gunzipped when it is gzip-compressed.
std::string read_maybe_gz(const std::string& path) {
  std::string raw = read_file(path);
  if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f || static_cast<unsigned char>(raw[1]) != 0x8b) return raw;
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": cannot open gzip file");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  int err = 0;
  const std::string msg = gzerror(f, &err);  // copied: gzclose frees zlib's message
  gzclose(f);
  if (n < 0 || err < 0) throw std::runtime_error(path + ": corrupt gzip data: " + msg);
  return out;
}

std::uint32_t be32(const std::string& s, std::size_t off) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[off])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[off + 2])) << 8) | static_cast<unsigned char>(s[off + 3]);
}

// MNIST idx3 images with the idx1 labels file found beside it.
class MnistDataset : public Dataset {
 public:
  MnistDataset(const std::string& images, std::string images_bytes) : path_(images), images_(std::move(images_bytes)) {
    if (images_.size() < 16 || be32(images_, 0) != 0x803) throw std::runtime_error(images + ": not an MNIST idx3 images file");
    n_ = be32(images_, 4);
    rows_ = be32(images_, 8);
    cols_ = be32(images_, 12);
    // (Checked multiplication: a forged header must not wrap around to the file's size.)
    std::size_t pixels = 0;
    const bool wraps = __builtin_mul_overflow(static_cast<std::size_t>(n_), static_cast<std::size_t>(rows_), &pixels) ||
                       __builtin_mul_overflow(pixels, static_cast<std::size_t>(cols_), &pixels) || rows_ > (1u << 15) || cols_ > (1u << 15);
    if (wraps || images_.size() != 16 + pixels)
      throw std::runtime_error(images + ": idx3 header says " + std::to_string(n_) + " images of " + std::to_string(rows_) + "x" +
                               std::to_string(cols_) + " but the file size does not match (truncated?)");
    std::string labels_path = find_labels(images);
    std::string lb = read_maybe_gz(labels_path);
    if (lb.size() < 8 || be32(lb, 0) != 0x801) throw std::runtime_error(labels_path + ": not an MNIST idx1 labels file");
    if (be32(lb, 4) != n_ || lb.size() != 8 + n_)
      throw std::runtime_error(labels_path + ": holds " + std::to_string(be32(lb, 4)) + " labels for " + std::to_string(n_) + " images");
    labels_.assign(lb.begin() + 8, lb.end());
  }
  std::size_t size() const override { return n_; }
  int label(std::size_t i) const override { return static_cast<unsigned char>(labels_.at(i)); }
  std::string name(std::size_t i) const override { return path_ + "#" + std::to_string(i); }
  cv::Mat load(std::size_t i) const override {
    cv::Mat img(static_cast<int>(rows_), static_cast<int>(cols_), CV_8UC1);
    std::memcpy(img.data, images_.data() + 16 + i * rows_ * cols_, static_cast<std::size_t>(rows_) * cols_);
    return img;
  }
  std::string description() const override { return "MNIST idx " + path_ + " (" + std::to_string(n_) + " images)"; }

 private:
  static std::string find_labels(const std::string& images) {
    fs::path p(images);
    std::string fname = p.filename().string();
    std::string base = fname;
    if (base.size() > 3 && base.substr(base.size() - 3) == ".gz") base = base.substr(0, base.size() - 3);
    auto pos = base.find("images-idx3-ubyte");
    if (pos == std::string::npos)
      throw std::runtime_error(images + ": cannot derive the labels file name (expected '*-images-idx3-ubyte[.gz]')");
    std::string lbl = base.substr(0, pos) + "labels-idx1-ubyte";
    for (const std::string& cand : {lbl, lbl + ".gz"}) {
      fs::path q = p.parent_path() / cand;
      if (fs::exists(q)) return q.string();
    }
    throw std::runtime_error(images + ": labels file '" + lbl + "[.gz]' not found beside it");
  }
  std::string path_, images_, labels_;
  std::uint32_t n_ = 0, rows_ = 0, cols_ = 0;
};

}  // namespace

namespace {

class ReadableSubset : public Dataset {
 public:
  ReadableSubset(std::unique_ptr<Dataset> d, std::vector<std::size_t> keep, std::size_t skipped)
      : d_(std::move(d)), keep_(std::move(keep)), skipped_(skipped) {}
  std::size_t size() const override { return keep_.size(); }
  int label(std::size_t i) const override { return d_->label(keep_.at(i)); }
  std::string name(std::size_t i) const override { return d_->name(keep_.at(i)); }
  cv::Mat load(std::size_t i) const override { return d_->load(keep_.at(i)); }
  std::string description() const override {
    return d_->description() + ", " + std::to_string(skipped_) + " unreadable images left out";
  }

 private:
  std::unique_ptr<Dataset> d_;
  std::vector<std::size_t> keep_;
  std::size_t skipped_;
};

}  // namespace

std::unique_ptr<Dataset> without_unreadable_images(std::unique_ptr<Dataset> data, std::vector<std::string>* skipped) {
  std::vector<std::size_t> keep;
  std::size_t bad = 0;
  std::string first;
  for (std::size_t i = 0; i < data->size(); ++i) {
    try {
      data->load(i);
      keep.push_back(i);
    } catch (const std::runtime_error& e) {
      ++bad;
      if (first.empty()) first = e.what();
      if (skipped) skipped->push_back(e.what());
    }
  }
  if (keep.empty()) throw std::runtime_error(data->description() + ": no readable image (" + first + ")");
  return std::make_unique<ReadableSubset>(std::move(data), std::move(keep), bad);
}

std::unique_ptr<Dataset> open_dataset(const std::string& path, const std::string& list_file) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error(path + ": data path not found");
  if (!list_file.empty()) {
    if (!fs::is_directory(path)) throw std::runtime_error(path + ": with a list file, the data path must be the image folder");
    return open_list(path, list_file);
  }
  if (fs::is_directory(path)) return open_folder(path);
  std::string head = read_maybe_gz(path);
  if (head.size() >= 4 && be32(head, 0) == 0x803) return std::make_unique<MnistDataset>(path, std::move(head));
  if (!head.empty() && head.size() % CifarDataset::kRecord == 0) return std::make_unique<CifarDataset>(path);
  throw std::runtime_error(path + ": not a dataset: expected an ImageFolder directory, a directory plus --val_list, a CIFAR-10 binary "
                           "batch (records of 3073 bytes) or an MNIST idx3 images file");
}

std::vector<std::size_t> select_indices(std::size_t set_size, std::size_t n, bool random, unsigned seed, std::size_t skip) {
  if (skip >= set_size && set_size > 0)
    throw std::invalid_argument("skipping " + std::to_string(skip) + " images leaves none of the " + std::to_string(set_size));
  const std::size_t left = set_size - std::min(skip, set_size);
  if (n > left)
    throw std::invalid_argument("subset of " + std::to_string(n) + " images requested but the data holds only " + std::to_string(left) +
                                (skip ? " after the " + std::to_string(skip) + " skipped" : ""));
  if (n == 0) n = left;
  std::vector<std::size_t> all(set_size);
  for (std::size_t i = 0; i < set_size; ++i) all[i] = i;
  if (random) {
    std::mt19937 rng(seed);
    std::shuffle(all.begin(), all.end(), rng);
  }
  std::vector<std::size_t> out(all.begin() + static_cast<long>(skip), all.begin() + static_cast<long>(skip + n));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dputk
