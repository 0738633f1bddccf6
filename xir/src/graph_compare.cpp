#include "xir/util/graph_compare.hpp"

#include <functional>

namespace xir {

namespace {

struct Diffs {
  std::vector<std::string> items;
  std::size_t max;
  bool full() const { return items.size() >= max; }
  void add(const std::string& s) {
    if (!full()) items.push_back(s);
  }
};

void compare_attrs(const Attrs& a, const Attrs& b, const std::string& what, Diffs& d) {
  for (const auto& [k, v] : a.values()) {
    if (!b.has_attr(k)) d.add(what + ": attr '" + k + "' only in the first");
    else if (!any_equal(v, b.get_attr(k)))
      d.add(what + ": attr '" + k + "' differs: " + to_string(v) + " vs " + to_string(b.get_attr(k)));
  }
  for (const auto& [k, v] : b.values())
    if (!a.has_attr(k)) d.add(what + ": attr '" + k + "' only in the second");
}

std::string shape_str(const std::vector<std::int32_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

void compare_subgraphs(const Subgraph& a, const Subgraph& b, const std::string& path, Diffs& d) {
  std::string what = "subgraph " + path + a.get_name();
  if (a.get_name() != b.get_name()) d.add("subgraph " + path + ": name " + a.get_name() + " vs " + b.get_name());
  compare_attrs(a.attrs(), b.attrs(), what, d);
  std::set<std::string> ops_a, ops_b;
  for (const Op* op : a.get_ops()) ops_a.insert(op->get_name());
  for (const Op* op : b.get_ops()) ops_b.insert(op->get_name());
  if (ops_a != ops_b) d.add(what + ": holds different ops (" + std::to_string(ops_a.size()) + " vs " + std::to_string(ops_b.size()) + ")");
  auto ca = a.children_topological_sort();
  auto cb = b.children_topological_sort();
  if (ca.size() != cb.size()) {
    d.add(what + ": " + std::to_string(ca.size()) + " vs " + std::to_string(cb.size()) + " children");
    return;
  }
  for (std::size_t i = 0; i < ca.size() && !d.full(); ++i) compare_subgraphs(*ca[i], *cb[i], what + "/", d);
}

}  // namespace

std::vector<std::string> compare_graphs(const Graph& a, const Graph& b, std::size_t max_diffs) {
  Diffs d{{}, max_diffs};
  if (a.get_name() != b.get_name()) d.add("graph name: " + a.get_name() + " vs " + b.get_name());
  compare_attrs(a.attrs(), b.attrs(), "graph", d);
  for (const Op* oa : a.topological_sort()) {
    if (d.full()) break;
    const std::string what = "op '" + oa->get_name() + "'";
    const Op* ob = b.get_op(oa->get_name());
    if (!ob) {
      d.add(what + " only in the first");
      continue;
    }
    if (oa->get_type() != ob->get_type()) d.add(what + ": type " + oa->get_type() + " vs " + ob->get_type());
    compare_attrs(oa->attrs(), ob->attrs(), what, d);
    auto ia = oa->get_input_ops(), ib = ob->get_input_ops();
    auto names = [](const std::map<std::string, std::vector<Op*>>& m) {
      std::map<std::string, std::vector<std::string>> out;
      for (const auto& [k, v] : m)
        for (const Op* op : v) out[k].push_back(op->get_name());
      return out;
    };
    if (names(ia) != names(ib)) d.add(what + ": inputs differ");
    const Tensor* ta = oa->get_output_tensor();
    const Tensor* tb = ob->get_output_tensor();
    const std::string tw = what + " output tensor '" + ta->get_name() + "'";
    if (ta->get_name() != tb->get_name()) d.add(what + ": output tensor name " + ta->get_name() + " vs " + tb->get_name());
    if (ta->get_shape() != tb->get_shape()) d.add(tw + ": shape " + shape_str(ta->get_shape()) + " vs " + shape_str(tb->get_shape()));
    if (ta->get_data_type() != tb->get_data_type())
      d.add(tw + ": type " + ta->get_data_type().to_string() + " vs " + tb->get_data_type().to_string());
    compare_attrs(ta->attrs(), tb->attrs(), tw, d);
  }
  for (const Op* ob : b.get_ops())
    if (!a.get_op(ob->get_name())) d.add("op '" + ob->get_name() + "' only in the second");
  if (!d.full()) compare_subgraphs(*a.get_root_subgraph(), *b.get_root_subgraph(), "", d);
  return d.items;
}

void dump_graph(const Graph& graph, std::ostream& os) {
  os << "graph " << graph.get_name() << " (" << graph.get_op_num() << " ops)\n";
  if (graph.has_attrs()) os << "  attrs " << graph.attrs().debug_info() << "\n";
  for (const Op* op : graph.topological_sort()) {
    const Tensor* t = op->get_output_tensor();
    os << "op " << op->get_name() << " : " << op->get_type() << "\n";
    for (const auto& [arg, ops] : op->input_args()) {
      if (ops.empty()) continue;
      os << "  " << arg << " <-";
      for (const Op* in : ops) os << " " << in->get_name();
      os << "\n";
    }
    if (!op->attrs().values().empty()) os << "  attrs " << op->attrs().debug_info() << "\n";
    os << "  tensor " << t->get_name() << " " << t->get_data_type().to_string() << " " << shape_str(t->get_shape());
    if (!t->attrs().values().empty()) os << " " << t->attrs().debug_info();
    os << "\n";
  }
  std::function<void(const Subgraph&, int)> walk = [&](const Subgraph& sg, int depth) {
    os << std::string(2 * depth, ' ') << "subgraph " << sg.get_name() << " (" << sg.get_op_num() << " ops)";
    if (sg.has_attr("device")) os << " device=" << sg.get_attr<std::string>("device");
    os << "\n";
    for (const auto& [k, v] : sg.attrs().values())
      if (k != "device") os << std::string(2 * depth + 2, ' ') << k << " = " << to_string(v) << "\n";
    for (const Subgraph* c : sg.children_topological_sort()) walk(*c, depth + 1);
  };
  walk(*graph.get_root_subgraph(), 0);
}

}  // namespace xir
