// Device assignment, DPU boundary ops and the subgraph tree (see partition.hpp).
#include "dputk/compiler/partition.hpp"

#include "dputk/dpu/op_error.hpp"
#include "memory_plan.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace dputk::compiler {

namespace {

[[noreturn]] void fail(const xir::Op* op, const std::string& why) { dpu::op_fail(*op, why, "partitioning"); }

// Constants (int8 const-fix for the DPU, float const for CPU ops such as a custom op's parameters)
// follow the ops that read them.
bool is_constant(const xir::Op* op) { return op->get_type() == "const-fix" || op->get_type() == "const"; }

struct Placement {
  std::string device;
  int stage = 0;  // groups = (device, stage); every cross-group edge raises the stage
  std::string reason;
};

class Partitioner {
 public:
  Partitioner(xir::Graph& g, const DpuTarget& target) : g_(g), target_(target) {}

  PartitionReport run() {
    if (!g_.get_root_subgraph()->is_leaf()) throw std::runtime_error("graph '" + g_.get_name() + "' is already partitioned (compiled)");
    for (const xir::Op* op : g_.topological_sort()) {
      const std::string& t = op->get_type();
      if (t == "fix" || t == "conv2d" || t == "depthwise-conv2d")
        fail(op, "the graph is in quantizer (float + fix) form; lower it to the fix-op form first");
    }
    assign_devices();
    insert_boundaries();
    build_subgraphs();
    set_root_workload();
    return report();
  }

 private:
  void assign_devices() {
    for (xir::Op* op : g_.topological_sort()) {
      if (is_constant(op)) continue;  // follows its consumers, below
      Placement p;
      if (op->get_type() == "data-fix" || op->get_type() == "data") {
        p.device = "USER";
      } else {
        p.reason = why_not_on_dpu(*op, target_.limits);
        p.device = p.reason.empty() ? "DPU" : "CPU";
      }
      for (xir::Op* in : inputs_of(*op)) {
        if (is_constant(in)) continue;
        const Placement& q = place_.at(in);
        p.stage = std::max(p.stage, q.stage + (q.device == p.device ? 0 : 1));
      }
      place_[op] = p;
    }
    for (xir::Op* op : g_.topological_sort()) {
      if (!is_constant(op)) continue;
      if (op->get_fanout_num() == 0) fail(op, "constant is not used by any op");
      // A const read by ops of several groups gets one copy per extra group.
      std::map<std::pair<std::string, int>, std::vector<xir::Op*>> by_group;
      for (xir::Op* user : op->get_fanout_ops()) by_group[{place_.at(user).device, place_.at(user).stage}].push_back(user);
      bool first = true;
      for (auto& [group, users] : by_group) {
        xir::Op* c = op;
        if (!first) {
          c = g_.add_op(op->get_name() + "_" + group.first + std::to_string(group.second), op->get_type(), op->get_attrs(), {},
                        op->get_output_tensor()->get_data_type());
          copy_tensor_attrs(op->get_output_tensor(), c->get_output_tensor());
          for (xir::Op* u : users) u->replace_input_op(op, c);
        }
        place_[c] = {group.first, group.second, ""};
        first = false;
      }
    }
  }

  static std::vector<xir::Op*> inputs_of(const xir::Op& op) {
    std::vector<xir::Op*> out;
    for (const auto& [arg, ops] : op.get_input_ops()) out.insert(out.end(), ops.begin(), ops.end());
    return out;
  }

  static void copy_tensor_attrs(const xir::Tensor* from, xir::Tensor* to) {
    to->set_attrs(from->get_attrs());
  }

  xir::Op* boundary_op(const std::string& type, xir::Op* from, const Placement& group) {
    const std::string base = from->get_name() + "_" + type + "_";
    int k = 0;
    while (g_.get_op(base + std::to_string(k))) ++k;
    xir::Op* b = g_.add_op(base + std::to_string(k), type, xir::Attrs::create(), {{"input", {from}}},
                           from->get_output_tensor()->get_data_type());
    copy_tensor_attrs(from->get_output_tensor(), b->get_output_tensor());
    place_[b] = group;
    return b;
  }

  // upload in front of every DPU group input, download behind every DPU group output (the DPU-side
  // tensor takes a _download_<k> suffix, the download's output keeps the name, as vai_c_xir does).
  void insert_boundaries() {
    const auto ops = g_.topological_sort();
    for (xir::Op* op : ops) {
      const Placement& p = place_.at(op);
      if (p.device != "DPU") continue;
      for (xir::Op* in : inputs_of(*op)) {
        const Placement& q = place_.at(in);
        if (is_constant(in) || (q.device == "DPU" && q.stage == p.stage)) continue;
        std::pair<xir::Op*, int> key{in, p.stage};
        if (!uploads_.count(key)) {
          xir::Op* u = boundary_op("upload", in, p);
          // its tensor: <producer tensor>_upload_<k>
          u->get_output_tensor()->rename(in->get_output_tensor()->get_name() + u->get_name().substr(in->get_name().size()));
          uploads_[key] = u;
        }
        op->replace_input_op(in, uploads_[key]);
      }
    }
    for (xir::Op* op : ops) {
      const Placement p = place_.at(op);
      if (p.device != "DPU" || op->get_type() == "upload") continue;
      std::vector<xir::Op*> outside;
      for (xir::Op* u : op->get_fanout_ops()) {
        const Placement& q = place_.at(u);
        if (!(q.device == "DPU" && q.stage == p.stage)) outside.push_back(u);
      }
      if (outside.empty() && op->get_fanout_num() > 0) continue;
      xir::Op* d = boundary_op("download", op, p);
      const std::string name = op->get_output_tensor()->get_name();
      d->get_output_tensor()->rename(d->get_name() + "#");  // frees its auto name, which may be the one wanted below
      op->get_output_tensor()->rename(name + d->get_name().substr(op->get_name().size()));
      d->get_output_tensor()->rename(name);
      for (xir::Op* u : outside) u->replace_input_op(op, d);
    }
  }

  void build_subgraphs() {
    xir::Subgraph* root = g_.get_root_subgraph();
    root->create_children();
    std::map<std::pair<std::string, int>, std::set<xir::Subgraph*>> groups;
    std::vector<std::pair<std::string, int>> order;
    for (xir::Op* op : g_.topological_sort()) {
      op->set_attr<std::string>("device", place_.at(op).device);
      std::pair<std::string, int> key{place_.at(op).device, place_.at(op).stage};
      if (key.first == "USER") key.second = 0;
      if (!groups.count(key)) order.push_back(key);
      groups[key].insert(root->find_op(op));
    }
    for (const auto& key : order) {
      xir::Subgraph* sg = root->merge_children(groups[key]);
      const xir::Op* first = nullptr;
      for (const xir::Op* op : sg->topological_sort()) {
        const std::string& t = op->get_type();
        if (key.first == "DPU" && (t == "upload" || t == "const-fix")) continue;
        first = op;
        break;
      }
      if (!first) first = sg->topological_sort().front();
      sg->set_name("subgraph_" + first->get_name());
      sg->set_attr<std::string>("device", key.first);
      sg->set_attr<std::uint64_t>("workload", 0);
      if (key.first == "DPU") {
        build_layer_children(sg);
        plan_dpu_subgraph(*sg, target_);
      } else if (key.first == "CPU") {
        const std::string lib = "libvart-cpu-runner.so";
        sg->set_attr<std::map<std::string, std::string>>("runner", {{"ref", lib}, {"run", lib}, {"sim", lib}});
      }
    }
  }

  // One leaf per layer: each compute op with the consts it reads (named after the compute op).
  static void build_layer_children(xir::Subgraph* sg) {
    sg->create_children();
    for (xir::Op* op : sg->topological_sort()) {
      if (op->get_type() == "const-fix") continue;
      std::set<xir::Subgraph*> parts{sg->find_op(op)};
      for (const auto& [arg, ins] : op->get_input_ops())
        for (xir::Op* in : ins)
          if (in->get_type() == "const-fix" && sg->find_op(in)->get_op_num() == 1 && in->get_fanout_num() == 1) parts.insert(sg->find_op(in));
      if (parts.size() > 1) sg->merge_children(parts)->set_name("subgraph_" + op->get_name());
    }
  }

  void set_root_workload() {
    std::uint64_t w = 0;
    for (const xir::Subgraph* c : g_.get_root_subgraph()->children_topological_sort()) w += c->get_attr<std::uint64_t>("workload");
    g_.get_root_subgraph()->set_attr<std::uint64_t>("workload", w);
  }

  PartitionReport report() {
    PartitionReport r;
    r.target = target_.name;
    r.fingerprint = target_.fingerprint;
    const xir::Subgraph* root = g_.get_root_subgraph();
    for (const xir::Subgraph* sg : root->children_topological_sort())
      r.subgraphs.push_back({sg->get_name(), sg->get_attr<std::string>("device"), sg->get_op_num()});
    for (const xir::Op* op : g_.topological_sort()) {
      const Placement& p = place_.at(op);
      r.ops.push_back({op->get_name(), op->get_type(), p.device, root->find_op(op)->get_name(), p.device == "CPU" ? p.reason : ""});
    }
    return r;
  }

  xir::Graph& g_;
  const DpuTarget& target_;
  std::map<const xir::Op*, Placement> place_;
  std::map<std::pair<xir::Op*, int>, xir::Op*> uploads_;
};

}  // namespace

int PartitionReport::dpu_subgraphs() const {
  return static_cast<int>(std::count_if(subgraphs.begin(), subgraphs.end(), [](const auto& s) { return s.device == "DPU"; }));
}

std::string PartitionReport::text() const {
  std::string s = "Partition for " + target + " (fingerprint " + fingerprint_hex(fingerprint) + ")\n";
  s += "Total device subgraph number " + std::to_string(device_subgraphs()) + ", DPU subgraph number " + std::to_string(dpu_subgraphs()) + "\n\nSubgraphs:\n";
  for (const auto& sg : subgraphs) s += "  " + sg.device + "  " + sg.name + "  (" + std::to_string(sg.ops) + " ops)\n";
  s += "\nOps on the CPU:\n";
  int cpu = 0;
  for (const auto& op : ops)
    if (op.device == "CPU") {
      s += "  " + op.name + " (" + op.type + "): " + op.reason + "\n";
      ++cpu;
    }
  if (cpu == 0) s += "  (none)\n";
  s += "\nAll ops (topological order):\n";
  for (const auto& op : ops) s += "  " + op.device + "  " + op.type + "  " + op.name + "  [" + op.subgraph + "]\n";
  return s;
}

nlohmann::json PartitionReport::json() const {
  nlohmann::json j;
  j["target"] = target;
  j["fingerprint"] = fingerprint_hex(fingerprint);
  j["device_subgraph_number"] = device_subgraphs();
  j["dpu_subgraph_number"] = dpu_subgraphs();
  j["subgraphs"] = nlohmann::json::array();
  for (const auto& sg : subgraphs) j["subgraphs"].push_back({{"name", sg.name}, {"device", sg.device}, {"ops", sg.ops}});
  j["ops"] = nlohmann::json::array();
  for (const auto& op : ops) {
    nlohmann::json o{{"name", op.name}, {"type", op.type}, {"device", op.device}, {"subgraph", op.subgraph}};
    if (!op.reason.empty()) o["reason"] = op.reason;
    j["ops"].push_back(o);
  }
  return j;
}

PartitionReport partition_for_dpu(xir::Graph& graph, const DpuTarget& target) { return Partitioner(graph, target).run(); }

}  // namespace dputk::compiler
