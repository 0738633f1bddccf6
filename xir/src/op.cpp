#include "xir/op/op.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "xir/graph/graph.hpp"

namespace xir {

Op::Op(Graph* graph, std::string name, std::string type, std::unique_ptr<Attrs> attrs, const OpDef* def)
    : graph_(graph), name_(std::move(name)), type_(std::move(type)), attrs_(std::move(attrs)), def_(def) {
  if (!attrs_) attrs_ = Attrs::create();
}

Op::~Op() = default;

int Op::get_input_num() const {
  int n = 0;
  for (const auto& [arg, ops] : inputs_) n += static_cast<int>(ops.size());
  return n;
}

int Op::get_input_num(const std::string& arg_name) const {
  for (const auto& [arg, ops] : inputs_)
    if (arg == arg_name) return static_cast<int>(ops.size());
  return 0;
}

std::map<std::string, std::vector<Op*>> Op::get_input_ops() const {
  std::map<std::string, std::vector<Op*>> out;
  for (const auto& [arg, ops] : inputs_)
    if (!ops.empty()) out[arg] = ops;
  return out;
}

std::vector<Op*> Op::get_input_ops(const std::string& arg_name) const {
  for (const auto& [arg, ops] : inputs_)
    if (arg == arg_name) return ops;
  return {};
}

Op* Op::get_input_op(const std::string& arg_name, int idx) const {
  auto ops = get_input_ops(arg_name);
  return idx >= 0 && idx < static_cast<int>(ops.size()) ? ops[idx] : nullptr;
}

void Op::set_input_ops(const std::string& arg_name, const std::vector<Op*>& ops) {
  auto it = std::find_if(inputs_.begin(), inputs_.end(), [&](const auto& a) { return a.first == arg_name; });
  if (it == inputs_.end()) {
    if (def_ && !def_->find_input_arg(arg_name))
      throw std::invalid_argument("op '" + name_ + "' (" + type_ + ") has no input arg '" + arg_name + "'");
    inputs_.emplace_back(arg_name, std::vector<Op*>{});
    it = std::prev(inputs_.end());
  }
  auto old_ops = it->second;
  it->second = ops;
  for (Op* old : old_ops) old->remove_fanout(this);
  for (Op* op : ops) op->add_fanout(this);
}

void Op::replace_input_op(Op* old_op, Op* new_op) {
  bool replaced = false;
  for (auto& [arg, ops] : inputs_) {
    for (auto& op : ops) {
      if (op == old_op) {
        op = new_op;
        replaced = true;
      }
    }
  }
  if (!replaced) return;
  old_op->remove_fanout(this);
  new_op->add_fanout(this);
}

std::vector<Tensor*> Op::get_input_tensors() const {
  std::vector<Tensor*> out;
  for (const auto& [arg, ops] : inputs_)
    for (Op* op : ops) out.push_back(op->get_output_tensor());
  return out;
}

std::vector<Tensor*> Op::get_input_tensors(const std::string& arg_name) const {
  std::vector<Tensor*> out;
  for (Op* op : get_input_ops(arg_name)) out.push_back(op->get_output_tensor());
  return out;
}

Tensor* Op::get_input_tensor(const std::string& arg_name, int idx) const {
  Op* op = get_input_op(arg_name, idx);
  return op ? op->get_output_tensor() : nullptr;
}

Tensor* Op::replace_output_tensor(std::unique_ptr<Tensor> tensor) {
  if (graph_ && output_) graph_->forget_tensor(output_.get());
  output_ = std::move(tensor);
  output_->producer_ = this;
  if (graph_) graph_->tensor_by_name_[output_->get_name()] = output_.get();
  return output_.get();
}

Op* Op::set_attrs(std::unique_ptr<Attrs> attrs) {
  attrs_ = std::move(attrs);
  return this;
}

void Op::shape_infer() {
  if (!def_ || !def_->shape_infer())
    throw std::runtime_error("op '" + name_ + "': op type '" + type_ + "' has no shape inference rule");
  def_->shape_infer()(this);
}

void Op::add_fanout(Op* op) {
  if (std::find(fanout_.begin(), fanout_.end(), op) == fanout_.end()) fanout_.push_back(op);
}

void Op::remove_fanout(Op* op) {
  // Keep op as a fanout while it still consumes us through some arg.
  for (const auto& [arg, ops] : op->inputs_)
    if (std::count(ops.begin(), ops.end(), this) > 0) return;
  fanout_.erase(std::remove(fanout_.begin(), fanout_.end(), op), fanout_.end());
}

std::string Op::to_string(const std::string& delimiter, const std::string& left,
                          const std::string& right) const {
  std::ostringstream os;
  os << "xir::Op" << left << "name = " << name_ << delimiter << " type = " << type_ << right;
  return os.str();
}

}  // namespace xir
