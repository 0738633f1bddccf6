#include "dputk/engine/op_plugins.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>

#include "dputk/dpu/op_error.hpp"
#include "dputk/engine/op_imp_abi.h"
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine {

namespace {

struct Plugins {
  std::mutex mutex;
  std::vector<std::string> dirs;
  std::map<std::string, vart_init_op_imp_fn> loaded;  // op type → entry point (libraries stay loaded)
  std::map<std::string, std::string> failures;        // op type → why it could not be loaded
};
Plugins& plugins() {
  static Plugins p;
  return p;
}

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> dirs_locked(const Plugins& p) {
  std::vector<std::string> out = p.dirs;
  if (const char* env = std::getenv("DPUTK_OP_PLUGIN_PATH")) {
    std::string s = env;
    for (std::size_t start = 0; start <= s.size();) {
      std::size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) out.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

// The entry point of the op type's plugin, or nullptr with `why` set.
vart_init_op_imp_fn load(const std::string& type, std::string* why) {
  Plugins& p = plugins();
  std::lock_guard<std::mutex> lock(p.mutex);
  if (auto it = p.loaded.find(type); it != p.loaded.end()) return it->second;
  const std::string file = op_plugin_file(type);
  std::vector<std::string> dirs = dirs_locked(p);
  std::string path = file;  // on the library path, unless a directory has it
  for (const std::string& d : dirs)
    if (is_file(d + "/" + file)) {
      path = d + "/" + file;
      break;
    }
  std::string looked = "looked in ";
  for (const std::string& d : dirs) looked += d + ", ";
  looked += "and on the library path (LD_LIBRARY_PATH)";
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = ::dlerror();
    const std::string err = e ? e : "";
    if (path == file && err.find("cannot open shared object file") != std::string::npos)
      *why = "no kernel for this op type and no custom-op plugin " + file + " (" + looked + ")";
    else
      *why = "custom-op plugin " + path + " cannot be loaded: " + err;
    return nullptr;
  }
  auto init = reinterpret_cast<vart_init_op_imp_fn>(::dlsym(handle, "vart_init_op_imp"));
  if (!init) {
    *why = "custom-op plugin " + path + " has no entry point vart_init_op_imp (define the op class with DEF_XIR_OP_IMP)";
    return nullptr;
  }
  p.loaded[type] = init;
  return init;
}

class PluginKernel : public FloatKernel {
 public:
  PluginKernel(const xir::Op& op, vart_op_imp_t imp) : op_(op), imp_(imp) {
    self_ = imp_.init(const_cast<xir::Op*>(&op), nullptr);
    if (!self_) dpu::op_fail(op, "custom-op plugin " + op_plugin_file(op.get_type()) + ": its constructor failed");
    // Input groups in op-definition order (as the flat inputs arrive).
    if (const xir::OpDef* def = op.get_opdef())
      for (const auto& a : def->input_args()) groups_.emplace_back(a.name, op.get_input_ops(a.name).size());
    std::size_t counted = 0;
    for (const auto& g : groups_) counted += g.second;
    if (counted != static_cast<std::size_t>(op.get_input_num())) {
      groups_.clear();
      groups_.emplace_back("input", op.get_input_num());
    }
  }
  ~PluginKernel() override {
    if (self_ && imp_.cleanup) imp_.cleanup(self_);
  }

  void run(const std::vector<const FloatTensor*>& in, FloatTensor& out) override {
    const auto tensors = op_.get_input_tensors();
    std::vector<vart_op_buffer_t> bufs(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
      bufs[i] = {const_cast<float*>(in[i]->data.data()), in[i]->data.size() * sizeof(float), i < tensors.size() ? tensors[i] : nullptr};
    std::vector<vart_op_imp_input_t> args;
    std::size_t at = 0;
    for (const auto& [name, count] : groups_) {
      args.push_back({name.c_str(), count, count ? bufs.data() + at : nullptr});
      at += count;
    }
    vart_op_buffer_t o{out.data.data(), out.data.size() * sizeof(float), op_.get_output_tensor()};
    const char* msg = nullptr;
    const int rc = imp_.calculate(self_, args.data(), args.size(), o, &msg);
    if (rc != 0)
      dpu::op_fail(op_, "custom-op plugin " + op_plugin_file(op_.get_type()) + " failed (calculate returned " + std::to_string(rc) +
                            (msg ? std::string(": ") + msg : std::string()) + ")");
  }

 private:
  const xir::Op& op_;
  vart_op_imp_t imp_;
  void* self_ = nullptr;
  std::vector<std::pair<std::string, std::size_t>> groups_;
};

}  // namespace

void add_op_plugin_dir(const std::string& dir) {
  Plugins& p = plugins();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (const auto& d : p.dirs)
    if (d == dir) return;
  p.dirs.push_back(dir);
}

std::vector<std::string> op_plugin_dirs() {
  Plugins& p = plugins();
  std::lock_guard<std::mutex> lock(p.mutex);
  return dirs_locked(p);
}

std::string op_plugin_file(const std::string& op_type) { return "libvart_op_imp_" + op_type + ".so"; }

bool has_op_plugin(const std::string& op_type) {
  std::string why;
  return load(op_type, &why) != nullptr;
}

std::unique_ptr<FloatKernel> make_plugin_kernel(const xir::Op& op) {
  std::string why;
  vart_init_op_imp_fn init = load(op.get_type(), &why);
  if (!init) dpu::op_fail(op, why);
  vart_op_imp_t imp = init(const_cast<xir::Op*>(&op));
  if (imp.abi_version != DPUTK_OP_IMP_ABI_VERSION)
    dpu::op_fail(op, "custom-op plugin " + op_plugin_file(op.get_type()) + " was built for plugin ABI " + std::to_string(imp.abi_version) +
                         ", this runtime has " + std::to_string(DPUTK_OP_IMP_ABI_VERSION) + ": rebuild it against these headers");
  return std::make_unique<PluginKernel>(op, imp);
}

}  // namespace dputk::engine
