// Built without libtorch (DPUTK_WITH_TORCHSCRIPT=OFF): --fast_finetune is unavailable.
#include <stdexcept>

#include "dputk/quantizer/fast_finetune.hpp"

namespace dputk {

namespace {
[[noreturn]] void unavailable() {
  throw std::runtime_error("--fast_finetune needs libtorch (Debian libtorch-dev); this build has DPUTK_WITH_TORCHSCRIPT=OFF");
}
}  // namespace

bool fast_finetune_supported() { return false; }
FinetuneReport fast_finetune(QuantGraph&, const xir::Graph&, const Dataset&, const std::vector<std::size_t>&, const Preprocess&, const FinetuneOptions&) {
  unavailable();
}
void save_finetuned_params(const xir::Graph&, const std::string&) { unavailable(); }
int load_finetuned_params(xir::Graph&, const std::string&) { unavailable(); }

}  // namespace dputk
