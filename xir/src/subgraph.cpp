#include "xir/graph/subgraph.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include "xir/graph/graph.hpp"

namespace xir {

Subgraph::Subgraph(Graph* graph, Subgraph* parent, std::string name)
    : graph_(graph), parent_(parent), name_(std::move(name)), attrs_(Attrs::create()) {}

Subgraph::~Subgraph() = default;

std::set<Op*> Subgraph::get_ops() { return ops_; }
std::set<const Op*> Subgraph::get_ops() const { return {ops_.begin(), ops_.end()}; }

bool Subgraph::has_op(const std::string& op_name) const {
  const Op* op = graph_->get_op(op_name);
  return op && has_op(op);
}

Subgraph* Subgraph::find_op(const Op* op) const {
  for (const auto& c : children_)
    if (c->has_op(op)) return c.get();
  return nullptr;
}

Subgraph* Subgraph::find_op(const std::string& op_name) const {
  const Op* op = graph_->get_op(op_name);
  return op ? find_op(op) : nullptr;
}

const Op* Subgraph::get_tensor_producer(const Tensor* tensor) const {
  const Op* p = tensor->get_producer();
  return p && has_op(p) ? p : nullptr;
}

std::set<const Tensor*> Subgraph::get_input_tensors() const {
  std::set<const Tensor*> out;
  for (Op* op : ops_)
    for (Tensor* t : op->get_input_tensors())
      if (!has_op(t->get_producer())) out.insert(t);
  return out;
}

std::set<const Tensor*> Subgraph::get_output_tensors() const {
  std::set<const Tensor*> out;
  for (Op* op : ops_) {
    auto fanout = op->get_fanout_ops();
    bool escapes = fanout.empty();
    for (Op* f : fanout) escapes = escapes || !has_op(f);
    if (escapes) out.insert(op->get_output_tensor());
  }
  return out;
}

std::vector<const Tensor*> Subgraph::get_sorted_input_tensors(
    const std::function<bool(const Tensor*, const Tensor*)>& cmp) const {
  auto s = get_input_tensors();
  std::vector<const Tensor*> v(s.begin(), s.end());
  std::sort(v.begin(), v.end(), cmp);
  return v;
}

std::vector<const Tensor*> Subgraph::get_sorted_output_tensors(
    const std::function<bool(const Tensor*, const Tensor*)>& cmp) const {
  auto s = get_output_tensors();
  std::vector<const Tensor*> v(s.begin(), s.end());
  std::sort(v.begin(), v.end(), cmp);
  return v;
}

Subgraph* Subgraph::get_root() { return parent_ ? parent_->get_root() : this; }
const Subgraph* Subgraph::get_root() const { return parent_ ? parent_->get_root() : this; }
int Subgraph::get_depth() const { return parent_ ? parent_->get_depth() + 1 : 0; }

void Subgraph::create_children() {
  if (!is_leaf()) throw std::logic_error("create_children: subgraph '" + name_ + "' already has children");
  for (Op* op : topological_sort()) {
    auto child = std::make_unique<Subgraph>(graph_, this, "subgraph_" + op->get_name());
    child->ops_.insert(op);
    children_.push_back(std::move(child));
  }
}

std::set<Subgraph*> Subgraph::get_children() {
  std::set<Subgraph*> out;
  for (auto& c : children_) out.insert(c.get());
  return out;
}
std::set<const Subgraph*> Subgraph::get_children() const {
  std::set<const Subgraph*> out;
  for (auto& c : children_) out.insert(c.get());
  return out;
}

bool Subgraph::is_child(Subgraph* subgraph) const {
  for (auto& c : children_)
    if (c.get() == subgraph) return true;
  return false;
}

Subgraph* Subgraph::merge_children(std::set<Subgraph*> subgraph_list) {
  if (subgraph_list.empty()) throw std::invalid_argument("merge_children: nothing to merge");
  for (Subgraph* s : subgraph_list)
    if (!is_child(s)) throw std::invalid_argument("merge_children: '" + s->get_name() + "' is not a child of '" + name_ + "'");
  // The merged child takes the place (in stored order) of the first merged child.
  std::size_t pos = children_.size();
  std::vector<std::unique_ptr<Subgraph>> taken, kept;
  for (auto& c : children_) {
    if (subgraph_list.count(c.get())) {
      pos = std::min(pos, kept.size());
      taken.push_back(std::move(c));
    } else {
      kept.push_back(std::move(c));
    }
  }
  auto merged = std::make_unique<Subgraph>(graph_, this, taken.front()->get_name());
  bool all_leaves = std::all_of(taken.begin(), taken.end(), [](const auto& c) { return c->is_leaf(); });
  for (auto& c : taken) {
    merged->ops_.insert(c->ops_.begin(), c->ops_.end());
    if (!all_leaves) {
      c->parent_ = merged.get();
      merged->children_.push_back(std::move(c));
    }
  }
  Subgraph* raw = merged.get();
  kept.insert(kept.begin() + static_cast<long>(pos), std::move(merged));
  children_ = std::move(kept);
  return raw;
}

std::vector<Subgraph*> Subgraph::children_topological_sort() {
  std::map<const Op*, std::size_t> owner;
  for (std::size_t i = 0; i < children_.size(); ++i)
    for (Op* op : children_[i]->ops_) owner[op] = i;
  std::size_t n = children_.size();
  std::vector<std::set<std::size_t>> preds(n);
  for (std::size_t i = 0; i < n; ++i)
    for (Op* op : children_[i]->ops_)
      for (Tensor* t : op->get_input_tensors()) {
        auto it = owner.find(t->get_producer());
        if (it != owner.end() && it->second != i) preds[i].insert(it->second);
      }
  std::vector<bool> done(n, false);
  std::vector<Subgraph*> order;
  while (order.size() < n) {
    bool progressed = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      bool ready = std::all_of(preds[i].begin(), preds[i].end(), [&](std::size_t p) { return done[p]; });
      if (ready) {
        done[i] = true;
        order.push_back(children_[i].get());
        progressed = true;
        break;  // restart so that ties keep stored order
      }
    }
    if (!progressed) throw std::runtime_error("subgraph '" + name_ + "': its children depend on each other in a cycle");
  }
  return order;
}

std::vector<const Subgraph*> Subgraph::children_topological_sort() const {
  auto v = const_cast<Subgraph*>(this)->children_topological_sort();
  return {v.begin(), v.end()};
}

Subgraph* Subgraph::add_child(const std::string& name) {
  if (!ops_.empty() && children_.empty())
    throw std::logic_error("add_child: leaf subgraph '" + name_ + "' already holds ops");
  children_.push_back(std::make_unique<Subgraph>(graph_, this, name));
  return children_.back().get();
}

void Subgraph::add_op_to_leaf(Op* op) {
  if (!is_leaf()) throw std::logic_error("add_op_to_leaf: subgraph '" + name_ + "' is not a leaf");
  for (Subgraph* s = this; s; s = s->parent_) s->ops_.insert(op);
}

void Subgraph::forget_op(Op* op) {
  ops_.erase(op);
  for (auto& c : children_) c->forget_op(op);
}

std::vector<Op*> Subgraph::topological_sort() {
  std::vector<Op*> out;
  for (Op* op : graph_->topological_sort())
    if (ops_.count(op)) out.push_back(op);
  return out;
}

std::vector<const Op*> Subgraph::topological_sort() const {
  auto v = const_cast<Subgraph*>(this)->topological_sort();
  return {v.begin(), v.end()};
}

const Subgraph* Subgraph::get_subgraph(const std::string& name) const {
  if (name_ == name) return this;
  for (const auto& c : children_)
    if (const Subgraph* s = c->get_subgraph(name)) return s;
  return nullptr;
}
Subgraph* Subgraph::get_subgraph(const std::string& name) {
  return const_cast<Subgraph*>(static_cast<const Subgraph*>(this)->get_subgraph(name));
}

std::string Subgraph::to_string(const std::string& delimiter, const std::string& left,
                                const std::string& right) const {
  std::ostringstream os;
  os << "xir::Subgraph" << left << "name = " << name_ << delimiter << " child_num = " << children_.size()
     << delimiter << " ops_num = " << ops_.size() << right;
  return os.str();
}

}  // namespace xir
