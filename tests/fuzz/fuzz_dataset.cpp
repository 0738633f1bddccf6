// libFuzzer target: the dataset file parsers — CIFAR-10 binary batches, MNIST idx3 images + idx1 labels
// (plain or gzip), and list files. The first byte picks the format; for MNIST the next two bytes give
// the length of the images part, the rest is the labels file.
#include <cstdint>
#include <stdexcept>

#include "dputk/data/dataset.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dputk;
  if (size < 1) return 0;
  const int kind = data[0] % 3;
  ++data, --size;
  try {
    std::unique_ptr<Dataset> ds;
    if (kind == 0) {
      ds = open_dataset(fuzz::write_scratch("test_batch.bin", data, size));
    } else if (kind == 1) {
      if (size < 2) return 0;
      std::size_t n = (static_cast<std::size_t>(data[0]) << 8 | data[1]) % (size - 1);
      fuzz::write_scratch("t10k-labels-idx1-ubyte", data + 2 + n, size - 2 - n);
      ds = open_dataset(fuzz::write_scratch("t10k-images-idx3-ubyte", data + 2, n));
    } else {
      static const std::string dir = [] {
        std::filesystem::create_directories(fuzz::scratch() + "/images");
        return fuzz::scratch() + "/images";
      }();
      ds = open_dataset(dir, fuzz::write_scratch("list.txt", data, size));
    }
    for (std::size_t i = 0; i < ds->size() && i < 4; ++i) {
      (void)ds->label(i);
      (void)ds->name(i);
      if (kind != 2) (void)ds->load(i);  // list entries name files that do not exist
    }
  } catch (const std::exception&) {
  }
  return 0;
}
