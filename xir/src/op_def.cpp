#include "xir/op/op_def.hpp"

#include <glog/logging.h>

#include <mutex>

namespace xir {

OpDef& OpDef::inherit_from(const OpDef& base) {
  for (const auto& a : base.input_args_) input_args_.push_back(a);
  for (const auto& a : base.attrs_) attrs_.push_back(a);
  if (!shape_infer_) shape_infer_ = base.shape_infer_;
  return *this;
}

const AttrDef* OpDef::find_attr(const std::string& name) const {
  for (const auto& a : attrs_)
    if (a.name == name) return &a;
  return nullptr;
}

const OpArgDef* OpDef::find_input_arg(const std::string& name) const {
  for (const auto& a : input_args_)
    if (a.name == name) return &a;
  return nullptr;
}

struct OpDefFactory::Impl {
  mutable std::mutex mutex;
  std::map<std::string, std::unique_ptr<OpDef>> defs;
};

OpDefFactory::OpDefFactory() : impl_(new Impl) {}

OpDefFactory& OpDefFactory::instance() {
  static OpDefFactory* factory = [] {
    auto* f = new OpDefFactory();
    register_builtin_ops(*f);
    return f;
  }();
  return *factory;
}

const OpDef* OpDefFactory::register_def(const OpDef& def) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->defs.find(def.name());
  if (it != impl_->defs.end()) return it->second.get();
  auto* p = new OpDef(def);
  impl_->defs.emplace(def.name(), std::unique_ptr<OpDef>(p));
  return p;
}

const OpDef* OpDefFactory::find(const std::string& type) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->defs.find(type);
  return it == impl_->defs.end() ? nullptr : it->second.get();
}

const OpDef* OpDefFactory::register_unknown(const std::string& type) {
  if (const OpDef* d = find(type)) return d;
  LOG(WARNING) << "op type '" << type << "' is not a registered XIR op; registering it with input "
               << "'input' (repeated) and required attrs shape/data_type";
  OpDef def(type);
  def.add_input_arg({"input", OpArgDef::REPEATED, DataType::FLOAT, ""});
  def.add_attr(AttrDefBuilder<std::vector<std::int32_t>>::build("shape", AttrDef::REQUIRED, ""));
  def.add_attr(AttrDefBuilder<std::string>::build("data_type", AttrDef::REQUIRED, ""));
  return register_def(def);
}

std::vector<std::string> OpDefFactory::registered_types() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<std::string> out;
  for (const auto& kv : impl_->defs) out.push_back(kv.first);
  return out;
}

std::vector<const OpDef*> OpDefFactory::registered_defs() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<const OpDef*> out;
  for (const auto& kv : impl_->defs) out.push_back(kv.second.get());
  return out;
}

}  // namespace xir
