// Built without libtorch (DPUTK_WITH_TORCHSCRIPT=OFF): --deploy writes no TorchScript module.
#include "dputk/quantizer/deploy.hpp"

namespace dputk {

bool torchscript_supported() { return false; }
bool export_torchscript(const xir::Graph&, const std::string&) { return false; }

}  // namespace dputk
