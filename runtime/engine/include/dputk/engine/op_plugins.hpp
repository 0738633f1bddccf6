// Custom ops as plugins, the Vitis AI way: an op type the op library has no kernel for runs from
// libvart_op_imp_<op type>.so (built from a class registered with DEF_XIR_OP_IMP, vart/op_imp.h).
// Looked for in the directories added here, then in $DPUTK_OP_PLUGIN_PATH (':'-separated), then on
// the library path (dlopen's search: LD_LIBRARY_PATH, the system's).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "xir/op/op.hpp"

namespace dputk::engine {

class FloatKernel;

// `--op-plugin-dir DIR`: searched before the library path. Thread-safe.
void add_op_plugin_dir(const std::string& dir);
std::vector<std::string> op_plugin_dirs();  // the added directories, then $DPUTK_OP_PLUGIN_PATH's
std::string op_plugin_file(const std::string& op_type);  // libvart_op_imp_<op_type>.so

// Whether a plugin for this op type can be loaded (it is loaded and kept when it can).
bool has_op_plugin(const std::string& op_type);
// A float kernel running op through its plugin; throws naming the op type and the file looked for when
// there is none, or when the plugin cannot be loaded.
std::unique_ptr<FloatKernel> make_plugin_kernel(const xir::Op& op);

}  // namespace dputk::engine
