#include "xir/graph/graph.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <queue>
#include <sstream>
#include <stdexcept>

namespace xir {

namespace {

std::string op_label(const std::string& name, const std::string& type) {
  return "op '" + name + "' (" + type + ")";
}

// Checks attrs against the definition: required ones present, known ones of the right type;
// fills optional defaults.
void check_and_fill_attrs(const OpDef& def, const std::string& name, Attrs& attrs) {
  for (const auto& ad : def.attrs()) {
    if (attrs.has_attr(ad.name)) {
      const any& v = attrs.get_attr(ad.name);
      if (ad.default_value.has_value() && v.type() != ad.default_value.type())
        throw std::invalid_argument(op_label(name, def.name()) + ": attr '" + ad.name + "' has type " +
                                    v.type().name() + ", the op definition wants " +
                                    ad.default_value.type().name());
    } else if (ad.occur_type == AttrDef::REQUIRED) {
      throw std::invalid_argument(op_label(name, def.name()) + ": required attr '" + ad.name + "' is missing");
    } else if (ad.default_value.has_value()) {
      attrs.set_attr(ad.name, ad.default_value);
    }
  }
}

std::vector<std::pair<std::string, std::vector<Op*>>> order_inputs(
    const OpDef& def, const std::string& name, const std::map<std::string, std::vector<Op*>>& input_ops) {
  std::vector<std::pair<std::string, std::vector<Op*>>> args;
  for (const auto& a : def.input_args()) {
    auto it = input_ops.find(a.name);
    std::vector<Op*> ops = it == input_ops.end() ? std::vector<Op*>{} : it->second;
    if (ops.empty() && (a.occur_type == OpArgDef::REQUIRED || a.occur_type == OpArgDef::REQUIRED_AND_REPEATED))
      throw std::invalid_argument(op_label(name, def.name()) + ": required input '" + a.name + "' is missing");
    if (ops.size() > 1 && (a.occur_type == OpArgDef::REQUIRED || a.occur_type == OpArgDef::OPTIONAL))
      throw std::invalid_argument(op_label(name, def.name()) + ": input '" + a.name + "' takes one op, got " +
                                  std::to_string(ops.size()));
    args.emplace_back(a.name, ops);
  }
  for (const auto& [arg, ops] : input_ops)
    if (!def.find_input_arg(arg))
      throw std::invalid_argument(op_label(name, def.name()) + ": unknown input arg '" + arg + "'");
  return args;
}

}  // namespace

Graph::Graph(const std::string& name)
    : name_(name), root_(std::make_unique<Subgraph>(this, nullptr, "root")), attrs_(Attrs::create()) {}

Graph::~Graph() = default;

Op* Graph::add_op(const std::string& name, const std::string& type, std::unique_ptr<Attrs> attrs,
                  const std::map<std::string, std::vector<Op*>>& input_ops, Subgraph* subgraph) {
  return add_op(name, type, std::move(attrs), input_ops, DataType(DataType::FLOAT, 32), subgraph);
}

Op* Graph::add_op(const std::string& name, const std::string& type, std::unique_ptr<Attrs> attrs,
                  const std::map<std::string, std::vector<Op*>>& input_ops, const DataType& output_data_type,
                  Subgraph* subgraph) {
  if (op_by_name_.count(name)) throw std::invalid_argument("graph '" + name_ + "': an op named '" + name + "' exists");
  auto& factory = OpDefFactory::instance();
  const OpDef* def = factory.find(type);
  if (!def) def = factory.register_unknown(type);
  if (!attrs) attrs = Attrs::create();
  check_and_fill_attrs(*def, name, *attrs);
  auto args = order_inputs(*def, name, input_ops);
  for (const auto& [arg, ops] : args)
    for (Op* in : ops)
      if (!in || in->get_graph() != this)
        throw std::invalid_argument(op_label(name, type) + ": input '" + arg + "' is not an op of this graph");
  auto op = std::make_unique<Op>(this, name, type, std::move(attrs), def);
  op->inputs_ = args;
  Op* raw = op.get();
  raw->output_ = Tensor::create(name, {}, output_data_type);
  raw->output_->producer_ = raw;
  if (def->shape_infer()) {
    def->shape_infer()(raw);
  } else if (raw->attrs_->has_attr("shape")) {
    raw->output_->set_shape(raw->attrs_->get_attr<std::vector<std::int32_t>>("shape"));
  } else {
    throw std::invalid_argument(op_label(name, type) + ": no shape inference rule for this op type");
  }
  for (const auto& [arg, ops] : args)
    for (Op* in : ops) in->add_fanout(raw);
  return insert_op(std::move(op), subgraph);
}

Op* Graph::add_op_with_tensor(const std::string& name, const std::string& type, std::unique_ptr<Attrs> attrs,
                              const std::vector<std::pair<std::string, std::vector<Op*>>>& input_args,
                              std::unique_ptr<Tensor> output, Subgraph* subgraph) {
  if (op_by_name_.count(name)) throw std::invalid_argument("an op named '" + name + "' appears twice");
  auto& factory = OpDefFactory::instance();
  const OpDef* def = factory.find(type);
  if (!def) def = factory.register_unknown(type);
  if (!attrs) attrs = Attrs::create();
  check_and_fill_attrs(*def, name, *attrs);
  std::map<std::string, std::vector<Op*>> by_name;
  for (const auto& [arg, ops] : input_args) by_name[arg] = ops;
  auto op = std::make_unique<Op>(this, name, type, std::move(attrs), def);
  // Stored files list every arg of the definition (empty when unused); keep that order, and keep
  // args the definition does not know (auto-registered types) after them.
  for (const auto& a : def->input_args()) {
    auto it = by_name.find(a.name);
    op->inputs_.emplace_back(a.name, it == by_name.end() ? std::vector<Op*>{} : it->second);
  }
  for (const auto& [arg, ops] : input_args)
    if (!def->find_input_arg(arg)) op->inputs_.emplace_back(arg, ops);
  for (const auto& [arg, ops] : op->inputs_) {
    const OpArgDef* ad = def->find_input_arg(arg);
    if (ad && ops.empty() && (ad->occur_type == OpArgDef::REQUIRED || ad->occur_type == OpArgDef::REQUIRED_AND_REPEATED))
      throw std::invalid_argument(op_label(name, type) + ": required input '" + arg + "' is missing");
  }
  Op* raw = op.get();
  raw->output_ = std::move(output);
  raw->output_->producer_ = raw;
  for (const auto& [arg, ops] : raw->inputs_)
    for (Op* in : ops) in->add_fanout(raw);
  return insert_op(std::move(op), subgraph);
}

Op* Graph::insert_op(std::unique_ptr<Op> op, Subgraph* subgraph) {
  Op* raw = op.get();
  const std::string& tname = raw->output_->get_name();
  if (find_tensor(tname))
    throw std::invalid_argument(op_label(raw->name_, raw->type_) + ": a tensor named '" + tname + "' exists");
  op_by_name_[raw->name_] = raw;
  tensor_by_name_[tname] = raw->output_.get();
  ops_.push_back(std::move(op));
  Subgraph* target = subgraph ? subgraph : root_.get();
  if (!target->is_leaf())
    throw std::invalid_argument(op_label(raw->name_, raw->type_) + ": subgraph '" + target->get_name() +
                                "' is not a leaf; name the leaf subgraph to add the op to");
  target->add_op_to_leaf(raw);
  return raw;
}

void Graph::remove_op(Op* op) {
  if (!op || op->get_graph() != this) throw std::invalid_argument("remove_op: op is not in this graph");
  if (op->get_fanout_num() != 0)
    throw std::invalid_argument("remove_op: " + op_label(op->get_name(), op->get_type()) + " still has consumers");
  for (auto& [arg, ops] : op->inputs_) {
    auto old = ops;
    ops.clear();
    for (Op* in : old) in->remove_fanout(op);
  }
  root_->forget_op(op);
  op_by_name_.erase(op->get_name());
  forget_tensor(op->get_output_tensor());
  ops_.erase(std::remove_if(ops_.begin(), ops_.end(), [&](const auto& p) { return p.get() == op; }), ops_.end());
}

Op* Graph::get_op(const std::string& op_name) {
  auto it = op_by_name_.find(op_name);
  return it == op_by_name_.end() ? nullptr : it->second;
}
const Op* Graph::get_op(const std::string& op_name) const {
  auto it = op_by_name_.find(op_name);
  return it == op_by_name_.end() ? nullptr : it->second;
}
void Graph::forget_tensor(const Tensor* t) {
  for (auto it = tensor_by_name_.begin(); it != tensor_by_name_.end();) it = it->second == t ? tensor_by_name_.erase(it) : std::next(it);
}

Tensor* Graph::find_tensor(const std::string& tensor_name) const {
  auto it = tensor_by_name_.find(tensor_name);
  return it == tensor_by_name_.end() ? nullptr : it->second;
}

void Graph::rename_tensor(Tensor* t, const std::string& name) {
  if (Tensor* other = find_tensor(name); other && other != t)
    throw std::invalid_argument("rename of tensor '" + t->get_name() + "': graph '" + name_ + "' has a tensor named '" + name + "'");
  forget_tensor(t);
  tensor_by_name_[name] = t;
}

Tensor* Graph::get_tensor(const std::string& tensor_name) { return find_tensor(tensor_name); }
const Tensor* Graph::get_tensor(const std::string& tensor_name) const { return find_tensor(tensor_name); }

std::set<Op*> Graph::get_ops() {
  std::set<Op*> out;
  for (auto& op : ops_) out.insert(op.get());
  return out;
}
std::set<const Op*> Graph::get_ops() const {
  std::set<const Op*> out;
  for (auto& op : ops_) out.insert(op.get());
  return out;
}
std::set<Tensor*> Graph::get_tensors() {
  std::set<Tensor*> out;
  for (auto& op : ops_) out.insert(op->get_output_tensor());
  return out;
}
std::set<const Tensor*> Graph::get_tensors() const {
  std::set<const Tensor*> out;
  for (auto& op : ops_) out.insert(op->get_output_tensor());
  return out;
}

std::vector<Op*> Graph::get_head_ops() {
  std::vector<Op*> out;
  for (auto& op : ops_)
    if (op->get_input_num() == 0) out.push_back(op.get());
  return out;
}
std::vector<Op*> Graph::get_tail_ops() {
  std::vector<Op*> out;
  for (auto& op : ops_)
    if (op->get_fanout_num() == 0) out.push_back(op.get());
  return out;
}

std::vector<const Op*> Graph::get_head_ops() const {
  auto v = const_cast<Graph*>(this)->get_head_ops();
  return {v.begin(), v.end()};
}
std::vector<const Op*> Graph::get_tail_ops() const {
  auto v = const_cast<Graph*>(this)->get_tail_ops();
  return {v.begin(), v.end()};
}

std::vector<Op*> Graph::topological_sort() {
  std::map<const Op*, std::size_t> index;
  for (std::size_t i = 0; i < ops_.size(); ++i) index[ops_[i].get()] = i;
  std::vector<int> pending(ops_.size(), 0);
  using Item = std::pair<std::size_t, Op*>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> ready;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    std::set<Op*> distinct;
    for (const auto& [arg, ops] : ops_[i]->inputs_)
      for (Op* in : ops) distinct.insert(in);
    pending[i] = static_cast<int>(distinct.size());
    if (pending[i] == 0) ready.push({i, ops_[i].get()});
  }
  std::vector<Op*> order;
  while (!ready.empty()) {
    Op* op = ready.top().second;
    ready.pop();
    order.push_back(op);
    for (Op* out : op->fanout_) {
      std::size_t j = index.at(out);
      if (--pending[j] == 0) ready.push({j, out});
    }
  }
  if (order.size() != ops_.size())
    throw std::runtime_error("graph '" + name_ + "' has a cycle: " + std::to_string(ops_.size() - order.size()) +
                             " ops never become ready");
  return order;
}

std::vector<const Op*> Graph::topological_sort() const {
  auto order = const_cast<Graph*>(this)->topological_sort();
  return {order.begin(), order.end()};
}

void Graph::infer_shape() {
  for (Op* op : topological_sort())
    if (op->get_opdef() && op->get_opdef()->shape_infer()) op->shape_infer();
}

Subgraph* Graph::get_leaf_subgraph(const Op* op) {
  Subgraph* sg = root_.get();
  if (!sg->has_op(op)) return nullptr;
  while (!sg->is_leaf()) sg = sg->find_op(op);
  return sg;
}
const Subgraph* Graph::get_leaf_subgraph(const Op* op) const {
  return const_cast<Graph*>(this)->get_leaf_subgraph(op);
}
Subgraph* Graph::get_subgraph(const std::string& name) { return root_->get_subgraph(name); }
const Subgraph* Graph::get_subgraph(const std::string& name) const { return root_->get_subgraph(name); }

std::string Graph::to_string(const std::string& delimiter, const std::string& left, const std::string& right) const {
  std::ostringstream os;
  os << "xir::Graph" << left << "name = " << name_ << delimiter << " ops_num = " << ops_.size() << right;
  return os.str();
}

}  // namespace xir
