#include "memory_plan.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace dputk::compiler {

namespace {

using IV = std::vector<std::int32_t>;
constexpr std::int64_t kConstAlign = 4096, kDataAlign = 16;

std::int64_t align_up(std::int64_t x, std::int64_t a) { return (x + a - 1) / a * a; }

std::int64_t prod(const IV& s, std::size_t from = 0) {
  std::int64_t n = 1;
  for (std::size_t i = from; i < s.size(); ++i) n *= s[i];
  return n;
}

void place(xir::Tensor* t, int reg, std::int64_t addr) {
  t->set_attr<std::int32_t>("reg_id", reg);
  t->set_attr<std::int32_t>("ddr_addr", static_cast<std::int32_t>(addr));
  t->set_attr<std::int32_t>("location", 1);
}

int fix_point(const xir::Tensor* t) { return t->has_attr("fix_point") ? t->get_attr<std::int32_t>("fix_point") : 0; }

// A feature map and the reshape-fix outputs that alias it.
struct Buffer {
  std::vector<xir::Tensor*> tensors;
  std::int64_t bytes = 0;
  int first = 0, last = 0;  // positions (topological) of the defining op and the last reader
  int reg = 1;
  std::int64_t addr = 0;
};

class Planner {
 public:
  Planner(xir::Subgraph& sg, const DpuTarget& target) : sg_(sg), target_(target), ops_(sg.topological_sort()) {
    for (std::size_t i = 0; i < ops_.size(); ++i) pos_[ops_[i]] = static_cast<int>(i);
  }

  void run() {
    place_consts();
    collect_buffers();
    allocate();
    set_attrs();
  }

 private:
  void place_consts() {
    for (xir::Op* op : ops_) {
      if (op->get_type() == "const-fix") continue;
      std::vector<xir::Op*> consts;
      for (const char* arg : {"bias", "weights"})
        for (xir::Op* in : op->get_input_ops(arg)) consts.push_back(in);
      for (const auto& [arg, ins] : op->get_input_ops())
        for (xir::Op* in : ins) consts.push_back(in);
      for (xir::Op* c : consts) {
        if (c->get_type() != "const-fix" || placed_.count(c) || !sg_.has_op(c)) continue;
        placed_.insert(c);
        const auto data = c->get_attr<std::vector<char>>("data");
        if (static_cast<std::int64_t>(data.size()) != c->get_output_tensor()->get_element_num())
          throw std::runtime_error("const-fix '" + c->get_name() + "' holds " + std::to_string(data.size()) + " bytes for " +
                                   std::to_string(c->get_output_tensor()->get_element_num()) + " int8 values");
        const std::int64_t addr = align_up(static_cast<std::int64_t>(blob_.size()), kConstAlign);
        blob_.resize(static_cast<std::size_t>(addr));
        blob_.insert(blob_.end(), data.begin(), data.end());
        place(c->get_output_tensor(), 0, addr);
        c->set_attr<std::vector<char>>("data", {});  // the bytes live in the subgraph's REG_0
      }
    }
    blob_.resize(static_cast<std::size_t>(align_up(static_cast<std::int64_t>(blob_.size()), kConstAlign)));
  }

  void collect_buffers() {
    for (xir::Op* op : ops_) {
      const std::string& t = op->get_type();
      if (t == "const-fix" || t == "download") continue;
      xir::Tensor* out = op->get_output_tensor();
      xir::Op* in = t == "reshape-fix" ? op->get_input_op("input") : nullptr;
      if (in && sg_.has_op(in) && in->get_type() != "download" && fix_point(in->get_output_tensor()) == fix_point(out)) {
        buffer_of_[op] = buffer_of_.at(in);
      } else {
        buffer_of_[op] = buffers_.size();
        buffers_.push_back({});
        buffers_.back().first = pos_.at(op);
      }
      Buffer& b = buffers_[buffer_of_[op]];
      b.tensors.push_back(out);
      b.bytes = std::max<std::int64_t>(b.bytes, static_cast<std::int64_t>(out->get_data_size()));
      b.last = std::max(b.last, pos_.at(op));
      if (t == "upload") b.reg = 2;
      for (xir::Op* user : op->get_fanout_ops()) {
        if (!sg_.has_op(user)) throw std::logic_error("DPU op '" + op->get_name() + "' feeds '" + user->get_name() + "' outside its subgraph without a download");
        b.last = std::max(b.last, pos_.at(user));
        if (user->get_type() == "download" && b.reg != 2) b.reg = 3;
      }
    }
  }

  void allocate() {
    std::map<int, std::int64_t> interface_end;
    struct Live {
      std::int64_t addr, bytes;
      int last;
    };
    std::vector<Live> live;
    for (Buffer& b : buffers_) {
      if (b.reg != 1) {
        std::int64_t& end = interface_end[b.reg];
        b.addr = end;
        end = align_up(end + b.bytes, kDataAlign);
        continue;
      }
      live.erase(std::remove_if(live.begin(), live.end(), [&](const Live& l) { return l.last < b.first; }), live.end());
      std::sort(live.begin(), live.end(), [](const Live& x, const Live& y) { return x.addr < y.addr; });
      std::int64_t at = 0;
      for (const Live& l : live) {
        if (at + b.bytes <= l.addr) break;
        at = std::max(at, align_up(l.addr + l.bytes, kDataAlign));
      }
      b.addr = at;
      live.push_back({at, b.bytes, b.last});
      workspace_ = std::max(workspace_, align_up(at + b.bytes, kDataAlign));
    }
    reg_size_["REG_0"] = static_cast<std::int32_t>(blob_.size());
    if (workspace_ > 0) reg_size_["REG_1"] = static_cast<std::int32_t>(workspace_);
    for (const auto& [reg, end] : interface_end) reg_size_["REG_" + std::to_string(reg)] = static_cast<std::int32_t>(end);
  }

  void set_attrs() {
    for (const Buffer& b : buffers_)
      for (xir::Tensor* t : b.tensors) {
        place(t, b.reg, b.addr);
        IV stride(t->get_shape().size());
        for (std::size_t i = 0; i < stride.size(); ++i) stride[i] = static_cast<std::int32_t>(prod(t->get_shape(), i + 1));
        t->set_attr<IV>("stride", stride);
      }
    std::map<std::string, std::string> ctx, ctx2, seg;
    for (const auto& [reg, size] : reg_size_) {
      const bool is_const = reg == "REG_0";
      ctx[reg] = is_const ? "CONST" : "DATA";
      ctx2[reg] = is_const ? "CONST" : reg == "REG_1" ? "WORKSPACE" : "INTERFACE";
      seg[reg] = is_const ? "W0" : "D0";
    }
    std::uint64_t workload = 0;
    for (const xir::Op* op : ops_) workload += op_workload(*op);
    // Layer children; the list leaves out the upload/download boundary leaves, as vai_c_xir's does.
    std::vector<std::string> children;
    for (xir::Subgraph* c : sg_.children_topological_sort()) {
      std::uint64_t w = 0;
      bool boundary = true;
      for (xir::Op* op : c->topological_sort()) {
        const std::uint64_t ow = op_workload(*op);
        if (ow) op->set_attr<std::uint64_t>("workload", ow);
        w += ow;
        boundary = boundary && (op->get_type() == "upload" || op->get_type() == "download");
      }
      c->set_attr<std::uint64_t>("workload", w);
      const bool download = c->get_op_num() == 1 && c->topological_sort().front()->get_type() == "download";
      if (w == 0 && !download) c->set_attr<bool>("skip_code_gen", true);
      if (!boundary) children.push_back(c->get_name());
    }
    sg_.set_attr<std::string>("dpu_name", target_.name);
    sg_.set_attr<std::uint64_t>("dpu_fingerprint", target_.fingerprint);
    sg_.set_attr<std::map<std::string, std::string>>(
        "runner", {{"ref", "libvart-cpu-runner.so"}, {"run", "libvart-dpu-runner.so"}, {"sim", "libvart-sim-runner.so"}});
    sg_.set_attr<std::map<std::string, std::string>>("reg_id_to_context_type", ctx);
    sg_.set_attr<std::map<std::string, std::string>>("reg_id_to_context_type_v2", ctx2);
    sg_.set_attr<std::map<std::string, std::string>>("reg_id_to_hw_segment", seg);
    sg_.set_attr<std::map<std::string, std::int32_t>>("reg_id_to_size", reg_size_);
    sg_.set_attr<std::map<std::string, std::vector<char>>>("reg_id_to_parameter_value", {{"REG_0", blob_}});
    sg_.set_attr<std::vector<std::string>>("children_topological_sort", children);
    sg_.set_attr<std::uint64_t>("workload", workload);
    sg_.set_attr<std::string>("debug_mode", "null");
    sg_.set_attr<bool>("if_prefetch", false);
    // No mc_code: the builtin compile targets the emulator; a board needs vai_c_xir's instructions.
    sg_.set_attr<std::string>("dputk_compiler", "builtin (emulation target, no DPU instructions)");
  }

  xir::Subgraph& sg_;
  const DpuTarget& target_;
  std::vector<xir::Op*> ops_;
  std::map<const xir::Op*, int> pos_;
  std::set<const xir::Op*> placed_;
  std::vector<char> blob_;
  std::vector<Buffer> buffers_;
  std::map<const xir::Op*, std::size_t> buffer_of_;
  std::int64_t workspace_ = 0;
  std::map<std::string, std::int32_t> reg_size_;
};

}  // namespace

std::uint64_t op_workload(const xir::Op& op) {
  const std::string& t = op.get_type();
  const std::int64_t out = op.get_output_tensor()->get_element_num();
  auto kernel = [&] {
    const IV k = op.get_attr<IV>("kernel");
    return static_cast<std::int64_t>(k[0]) * k[1];
  };
  std::int64_t w = 0;
  if (t == "conv2d-fix") {
    const std::int64_t ic = op.get_input_tensor("input")->get_shape().back() / op.get_attr_or<std::int32_t>("group", 1);
    w = out * (2 * kernel() * ic + 1);
  } else if (t == "depthwise-conv2d-fix") {
    w = out * (2 * kernel() + 1);
  } else if (t == "pool-fix") {
    w = out * kernel();
  } else if (t == "eltwise-fix") {
    w = out * static_cast<std::int64_t>(op.get_input_num());
  }
  return static_cast<std::uint64_t>(w);
}

void plan_dpu_subgraph(xir::Subgraph& dpu, const DpuTarget& target) { Planner(dpu, target).run(); }

}  // namespace dputk::compiler
