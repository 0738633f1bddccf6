#include "dputk/engine/dpu_executor.hpp"

#include <any>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

#include "dputk/engine/dpu_fast_kernels.hpp"
#include "dputk/engine/dpu_ref_kernels.hpp"
#include "dputk/engine/fix_math.hpp"
#include "dputk/engine/op_geometry.hpp"
#include "dputk/engine/float_tensor.hpp"
#include "kernels/fast/dnnl_dpu_conv.hpp"
#include "kernels/fast/dnnl_int_conv.hpp"
#include "kernels/fast/dnnl_misc.hpp"

namespace dputk::engine {

namespace {

using Shape = std::vector<std::int32_t>;
using Inputs = std::vector<const DpuTensor*>;
using Kernel = std::function<void(const Inputs&, DpuTensor&)>;

[[noreturn]] void fail(const xir::Op& op, const std::string& why) {
  throw std::runtime_error("op '" + op.get_name() + "' (" + op.get_type() + "): " + why);
}

// A float op left on the CPU after the DPU (softmax): its value has no fix point. (fix2float's
// value stays int8 inside the executor; consumers dequantize it.)
bool float_valued(const xir::Op& op) {
  return op.get_output_tensor()->get_data_type().type == xir::DataType::FLOAT && op.get_type() != "fix2float";
}

int fix_point_of(const xir::Op& op) {
  const xir::Tensor* t = op.get_output_tensor();
  if (t->has_attr("fix_point")) return t->get_attr<std::int32_t>("fix_point");
  if (op.has_attr("fix_point")) return op.get_attr<std::int32_t>("fix_point");
  fail(op, "output tensor has no fix_point");
}

// Weights of a const-fix op: its `data` attr (quantizer-made and un-partitioned graphs), or, in a
// vai_c_xir-compiled DPU subgraph where `data` is empty, the bytes of the subgraph's
// reg_id_to_parameter_value["REG_<reg_id>"] at the tensor's ddr_addr.
DpuTensor decode_const_fix(const xir::Op& op) {
  DpuTensor t;
  t.shape = op.get_output_tensor()->get_shape();
  t.fix_point = fix_point_of(op);
  const auto n = static_cast<std::size_t>(t.numel());
  const auto& bytes = op.get_attr<std::vector<char>>("data");
  if (!bytes.empty()) {
    if (bytes.size() != n) fail(op, "holds " + std::to_string(bytes.size()) + " bytes for " + std::to_string(n) + " int8 values");
    t.data.assign(bytes.begin(), bytes.end());
    return t;
  }
  const xir::Tensor* tensor = op.get_output_tensor();
  if (!tensor->has_attr("reg_id") || !tensor->has_attr("ddr_addr"))
    fail(op, "has no data and its tensor no reg_id/ddr_addr to find it in the DPU subgraph's parameters");
  const std::string reg = "REG_" + std::to_string(tensor->get_attr<std::int32_t>("reg_id"));
  const std::int64_t addr = tensor->get_attr<std::int32_t>("ddr_addr");
  using Blobs = std::map<std::string, std::vector<char>>;
  for (const xir::Subgraph* sg = op.get_graph()->get_leaf_subgraph(&op); sg; sg = sg->get_parent()) {
    if (!sg->has_attr("reg_id_to_parameter_value")) continue;
    const auto& blobs = std::any_cast<const Blobs&>(sg->get_attr("reg_id_to_parameter_value"));
    auto it = blobs.find(reg);
    if (it == blobs.end()) fail(op, "subgraph '" + sg->get_name() + "' has no parameter blob " + reg);
    if (addr < 0 || addr + static_cast<std::int64_t>(n) > static_cast<std::int64_t>(it->second.size()))
      fail(op, "weights at " + reg + "+" + std::to_string(addr) + " (" + std::to_string(n) + " bytes) lie outside the " +
                   std::to_string(it->second.size()) + "-byte blob");
    t.data.assign(it->second.begin() + addr, it->second.begin() + addr + static_cast<std::int64_t>(n));
    return t;
  }
  fail(op, "has no data and no enclosing subgraph holds reg_id_to_parameter_value");
}

dpu::Nonlinear nonlinear_of(const xir::Op& op) {
  std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
  if (nl.empty() || nl == "NONE") return dpu::Nonlinear::NONE;
  if (nl == "RELU") return dpu::Nonlinear::RELU;
  if (nl == "RELU6") return dpu::Nonlinear::RELU6;
  if (nl == "LEAKYRELU") return dpu::Nonlinear::LEAKYRELU;
  fail(op, "nonlinear '" + nl + "' is not supported by the emulator (NONE, RELU, RELU6, LEAKYRELU)");
}

}  // namespace

void quantize_input(const float* in, std::int64_t count, int fix_point, std::int8_t* out) {
  quantize_array(in, count, FixSpec{fix_point, 8, true, RoundMode::DPU_ROUND}, out);
}

DpuTensor quantize_tensor(const FloatTensor& in, int fix_point) {
  DpuTensor t;
  t.shape = in.shape;
  t.fix_point = fix_point;
  t.data.resize(in.data.size());
  quantize_input(in.data.data(), in.numel(), fix_point, t.data.data());
  return t;
}

void dequantize(const DpuTensor& t, float* out) {
  if (!t.real.empty()) {
    std::copy(t.real.begin(), t.real.end(), out);
    return;
  }
  const float scale = static_cast<float>(std::ldexp(1.0, -t.fix_point));
  for (std::size_t i = 0; i < t.data.size(); ++i) out[i] = static_cast<float>(t.data[i]) * scale;
}

struct DpuExecutor::Impl {
  const xir::Graph& graph;
  const xir::Subgraph* subgraph = nullptr;  // run only its ops (inputs: what flows in from outside)
  DpuExecutorOptions options;
  std::vector<const xir::Op*> input_ops, output_ops;
  std::map<const xir::Op*, DpuTensor> constants;
  std::map<const xir::Op*, int> slot_of;
  struct Step {
    const xir::Op* op;
    Kernel kernel;
    std::vector<std::pair<const DpuTensor*, int>> inputs;  // constant or slot
    int out_slot;
    int fix_point;
  };
  std::vector<Step> steps;
  std::vector<Shape> slot_shape;
  std::vector<int> slot_fp;
  int fused_convs = 0;
  std::map<const xir::Op*, bool> non_negative;  // values known >= 0 (after a ReLU), int8 bytes = u8
  std::vector<DpuTensor> values;  // per-slot buffers, kept between runs (an executor runs one batch at a time)
  std::shared_ptr<std::vector<std::int32_t>> scratch = std::make_shared<std::vector<std::int32_t>>();

  Impl(const xir::Graph& g, const xir::Subgraph* sg, DpuExecutorOptions o) : graph(g), subgraph(sg), options(o) { plan(); }

  std::string scope() const { return subgraph ? "subgraph '" + subgraph->get_name() + "'" : "graph '" + graph.get_name() + "'"; }

  // A value produced outside the subgraph becomes an input slot (constants are decoded instead).
  void add_external(const xir::Op* p) {
    if (slot_of.count(p) || constants.count(p)) return;
    if (p->get_type() == "const-fix") {
      constants.emplace(p, decode_const_fix(*p));
      return;
    }
    slot_of[p] = static_cast<int>(slot_shape.size());
    slot_shape.push_back(p->get_output_tensor()->get_shape());
    slot_fp.push_back(fix_point_of(*p));
    input_ops.push_back(p);
    non_negative[p] = false;
  }

  // Whether op's value is >= 0 for every input (so the fused u8 convolution may read it).
  bool is_non_negative(const xir::Op& op) const {
    const std::string& t = op.get_type();
    auto all_inputs = [&] {
      for (const xir::Op* in : op.get_input_ops("input"))
        if (!non_negative.count(in) || !non_negative.at(in)) return false;
      return op.get_input_num("input") > 0;
    };
    const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
    if (t == "conv2d-fix" || t == "depthwise-conv2d-fix") return nl == "RELU" || nl == "RELU6";
    if (t == "eltwise-fix") return nl == "RELU" || (op.get_attr_or<std::string>("type", "ADD") == "ADD" && all_inputs());
    if (t == "pool-fix" || t == "concat-fix" || t == "reshape-fix" || t == "upload" || t == "download" || t == "identity" ||
        t == "strided_slice-fix")
      return all_inputs();
    return false;
  }

  Kernel make_kernel(const xir::Op& op) {
    const std::string& t = op.get_type();
    const Shape in_shape = op.get_input_num() ? op.get_input_tensors()[0]->get_shape() : Shape{};
    const Shape out_shape = op.get_output_tensor()->get_shape();
    const int fo = float_valued(op) ? 0 : fix_point_of(op);
    if (t == "conv2d-fix" || t == "depthwise-conv2d-fix") {
      const bool depthwise = t == "depthwise-conv2d-fix";
      const xir::Op* wop = op.get_input_op("weights");
      const xir::Op* bop = op.get_input_op("bias");
      if (!wop || !constants.count(wop)) fail(op, "weights must come from a const-fix op");
      const DpuTensor& w = constants.at(wop);
      const DpuTensor* b = bop ? &constants.at(bop) : nullptr;
      const ref::Window2d g = window_of(op, in_shape, out_shape, w.shape);
      const int fi = fix_point_of(*op.get_input_op("input"));
      dpu::ConvShift shift;
      shift.shift_cut = fi + w.fix_point - fo;
      shift.shift_bias = b ? fi + w.fix_point - b->fix_point : 0;
      shift.nonlinear = nonlinear_of(op);
      shift.fo = fo;
      // The whole layer in one oneDNN primitive where that is provably exact (dnnl_dpu_conv.hpp) ...
      std::shared_ptr<fast::DnnlDpuConv> fused;
      if (options.fast) fused = fast::DnnlDpuConv::create(g, depthwise, w.data.data(), b ? b->data.data() : nullptr, shift, non_negative.at(op.get_input_op("input")));
      if (fused) ++fused_convs;
      if (fused)
        return [=](const Inputs& in, DpuTensor& out) { fused->run(in[0]->data.data(), out.data.data(), in[0]->shape[0]); };
      // ... else exact s32 accumulators from oneDNN and the DPU's shift/round/saturate afterwards.
      std::shared_ptr<fast::DnnlIntConv> fast_conv;
      if (options.fast) fast_conv = std::make_shared<fast::DnnlIntConv>(g, depthwise, w.data.data());
      const std::int8_t* bias = b ? b->data.data() : nullptr;
      const std::int8_t* weights = w.data.data();
      auto acc = scratch;  // one int32 accumulator buffer shared by every conv of the executor
      // |acc| <= k_h·k_w·c_in·128·128 < 2^29 for the int32 fast post-processing
      const bool small_reduction = static_cast<std::int64_t>(g.kh) * g.kw * (depthwise ? 1 : g.c / g.group) < (1 << 15);
      return [=](const Inputs& in, DpuTensor& out) {
        ref::Window2d gg = g;
        gg.n = in[0]->shape[0];
        if (!fast_conv) return dpu_ref::conv2d(in[0]->data.data(), weights, bias, out.data.data(), gg, depthwise, shift);
        acc->resize(static_cast<std::size_t>(out.numel()));
        fast_conv->run(in[0]->data.data(), acc->data(), gg.n);
        const std::int64_t total = out.numel();
        const int oc = gg.oc;
        if (small_reduction && dpu_fast::conv_output(acc->data(), bias, total / oc, oc, shift, out.data.data())) return;
        const std::int32_t* a = acc->data();
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < total; ++i) out.data[i] = dpu::conv_output(a[i], bias ? bias[i % oc] : 0, shift);
      };
    }
    if (t == "pool-fix") {
      ref::Window2d g = window_of(op, in_shape, out_shape);
      const std::string type = op.get_attr<std::string>("type");
      const int fi = fix_point_of(*op.get_input_op("input"));
      if (type != "MAX" && type != "AVG") fail(op, "pool type '" + type + "' is not supported (MAX, AVG)");
      const bool avg = type == "AVG";
      // Max pooling is exact in int8: oneDNN's s8 pooling, then a requantization when fo != fi.
      std::shared_ptr<fast::DnnlPool> fast_max;
      if (options.fast && !avg) fast_max = std::make_shared<fast::DnnlPool>(g, false, false, true);
      return [=](const Inputs& in, DpuTensor& out) {
        ref::Window2d gg = g;
        gg.n = in[0]->shape[0];
        if (fast_max) {
          fast_max->run(in[0]->data.data(), out.data.data(), gg.n);
          if (fi != fo)
            for (auto& v : out.data) v = dpu::requantize(v, fi, fo);
          return;
        }
        if (avg) dpu_ref::avgpool(in[0]->data.data(), out.data.data(), gg, fi, fo);
        else dpu_ref::maxpool(in[0]->data.data(), out.data.data(), gg, fi, fo);
      };
    }
    if (t == "eltwise-fix") {
      const std::string type = op.get_attr_or<std::string>("type", "ADD");
      if (type != "ADD") fail(op, "eltwise type '" + type + "' is not supported (ADD)");
      const std::string nl = op.get_attr_or<std::string>("nonlinear", "NONE");
      if (nl != "NONE" && nl != "RELU" && !nl.empty()) fail(op, "eltwise nonlinear '" + nl + "' is not supported (NONE, RELU)");
      const bool relu = nl == "RELU";
      for (const xir::Tensor* it : op.get_input_tensors())
        if (it->get_shape() != out_shape) fail(op, "inputs of different shapes (broadcasting) are not supported");
      const bool fast = options.fast;
      return [=](const Inputs& in, DpuTensor& out) {
        if (fast && in.size() == 2 &&
            dpu_fast::eltwise_add2(in[0]->data.data(), in[0]->fix_point, in[1]->data.data(), in[1]->fix_point, out.numel(), fo, relu,
                                   out.data.data()))
          return;
        std::vector<const std::int8_t*> ptrs;
        std::vector<int> fps;
        for (const auto* x : in) {
          ptrs.push_back(x->data.data());
          fps.push_back(x->fix_point);
        }
        dpu_ref::eltwise_add(ptrs, fps, out.numel(), out.data.data(), fo, relu);
      };
    }
    if (t == "concat-fix") {
      int axis = op.get_attr<std::int32_t>("axis");
      if (axis < 0) axis += static_cast<int>(out_shape.size());
      return [=](const Inputs& in, DpuTensor& out) {
        std::int64_t outer = 1;
        for (int d = 0; d < axis; ++d) outer *= out.shape[d];
        std::int64_t out_chunk = out.numel() / outer;
        std::int64_t off = 0;
        for (const auto* x : in) {
          const std::int64_t chunk = x->numel() / outer;
          for (std::int64_t o = 0; o < outer; ++o)
            for (std::int64_t i = 0; i < chunk; ++i)
              out.data[o * out_chunk + off + i] = dpu::requantize(x->data[o * chunk + i], x->fix_point, fo);
          off += chunk;
        }
      };
    }
    if (t == "reshape-fix" || t == "upload" || t == "download" || t == "identity" || t == "fix2float") {
      return [=](const Inputs& in, DpuTensor& out) {
        if (in[0]->fix_point == fo) {
          std::memcpy(out.data.data(), in[0]->data.data(), out.data.size());
        } else {
          for (std::size_t i = 0; i < out.data.size(); ++i) out.data[i] = dpu::requantize(in[0]->data[i], in[0]->fix_point, fo);
        }
      };
    }
    if (t == "float2fix") {
      // Float (from a CPU float op) → int8 at the op's fix point, with its round mode.
      const FixSpec f{fo, 8, true, parse_round_mode(op.get_attr_or<std::string>("round_mode", "DPU_ROUND"))};
      return [=](const Inputs& in, DpuTensor& out) {
        std::vector<float> x(static_cast<std::size_t>(in[0]->numel()));
        dequantize(*in[0], x.data());
        for (std::size_t i = 0; i < x.size(); ++i) out.data[i] = static_cast<std::int8_t>(quantize_value(x[i], f));
      };
    }
    if (t == "softmax") {
      // Float, on the CPU after the DPU (fix2float → softmax), as Xilinx's cpu_task runs it.
      int axis = op.get_attr_or<std::int32_t>("axis", -1);
      if (axis < 0) axis += static_cast<int>(out_shape.size());
      return [=](const Inputs& in, DpuTensor& out) {
        std::vector<float> x(static_cast<std::size_t>(in[0]->numel()));
        dequantize(*in[0], x.data());
        out.real.resize(x.size());
        ref::softmax(x.data(), in[0]->shape, axis, out.real.data());
      };
    }
    if (t == "pad-fix") {
      auto paddings = op.get_attr<Shape>("paddings");
      std::string mode = op.get_attr<std::string>("mode");
      if (mode != "CONSTANT") fail(op, "pad mode '" + mode + "' is not supported (CONSTANT)");
      return [=](const Inputs& in, DpuTensor& out) {
        std::vector<float> fin(in[0]->data.begin(), in[0]->data.end()), fout(out.data.size());
        ref::pad(fin.data(), in[0]->shape, paddings, false, 0.0f, fout.data());
        for (std::size_t i = 0; i < fout.size(); ++i) out.data[i] = dpu::requantize(static_cast<std::int64_t>(fout[i]), in[0]->fix_point, fo);
      };
    }
    if (t == "strided_slice-fix") {
      auto begin = op.get_attr<Shape>("begin");
      auto strides = op.get_attr<Shape>("strides");
      return [=](const Inputs& in, DpuTensor& out) {
        std::vector<float> fin(in[0]->data.begin(), in[0]->data.end()), fout(out.data.size());
        ref::strided_slice(fin.data(), in[0]->shape, begin, strides, out.shape, fout.data());
        for (std::size_t i = 0; i < fout.size(); ++i) out.data[i] = dpu::requantize(static_cast<std::int64_t>(fout[i]), in[0]->fix_point, fo);
      };
    }
    fail(op, "the DPU emulator has no kernel for this op type");
  }

  void plan() {
    auto order = subgraph ? subgraph->topological_sort() : graph.topological_sort();
    auto inside = [&](const xir::Op* op) { return !subgraph || subgraph->has_op(op); };
    for (const xir::Op* op : order) {
      const std::string& t = op->get_type();
      for (const xir::Tensor* in : op->get_input_tensors())
        if (!inside(in->get_producer())) add_external(in->get_producer());
      if (t == "const-fix") {
        constants.emplace(op, decode_const_fix(*op));
        continue;
      }
      slot_of[op] = static_cast<int>(slot_shape.size());
      slot_shape.push_back(op->get_output_tensor()->get_shape());
      slot_fp.push_back(float_valued(*op) ? 0 : fix_point_of(*op));
      if (t == "data-fix") {
        input_ops.push_back(op);
        non_negative[op] = false;
        continue;
      }
      Step s{op, make_kernel(*op), {}, slot_of[op], slot_fp.back()};
      non_negative[op] = is_non_negative(*op);
      for (const xir::Tensor* in : op->get_input_tensors()) {
        const xir::Op* p = in->get_producer();
        if (constants.count(p)) s.inputs.emplace_back(&constants.at(p), -1);
        else s.inputs.emplace_back(nullptr, slot_of.at(p));
      }
      steps.push_back(std::move(s));
    }
    for (const xir::Op* op : order) {
      if (op->get_type() == "const-fix") continue;
      bool leaves = op->get_fanout_num() == 0;
      for (const xir::Op* user : op->get_fanout_ops()) leaves = leaves || !inside(user);
      if (leaves) output_ops.push_back(op);
    }
    if (input_ops.empty()) throw std::runtime_error(scope() + " has no input (data-fix op or value from outside)");
  }

  std::vector<DpuTensor> run(const Inputs& inputs, const Observer& observer) {
    if (inputs.size() != input_ops.size())
      throw std::invalid_argument(scope() + " takes " + std::to_string(input_ops.size()) + " inputs, got " +
                                  std::to_string(inputs.size()));
    const std::int32_t batch = inputs[0]->shape.empty() ? 1 : inputs[0]->shape[0];
    values.resize(slot_shape.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      check_input_shape(input_ops[i]->get_name(), input_ops[i]->get_output_tensor()->get_shape(), inputs[i]->shape,
                        inputs[i]->data.size(), batch);
      int slot = slot_of.at(input_ops[i]);
      values[slot] = *inputs[i];
      values[slot].fix_point = slot_fp[slot];
      if (observer) observer(input_ops[i], values[slot]);
    }
    Inputs ins;
    for (auto& s : steps) {
      ins.clear();
      for (const auto& in : s.inputs) ins.push_back(in.first ? in.first : &values[in.second]);
      DpuTensor& out = values[s.out_slot];
      out.shape = slot_shape[s.out_slot];
      if (!out.shape.empty()) out.shape[0] = batch;
      out.fix_point = s.fix_point;
      out.data.resize(static_cast<std::size_t>(out.numel()));  // every kernel writes all of it
      s.kernel(ins, out);
      if (observer) observer(s.op, out);
    }
    std::vector<DpuTensor> outs;
    for (const xir::Op* op : output_ops) outs.push_back(values[slot_of.at(op)]);
    return outs;
  }
};

DpuExecutor::DpuExecutor(const xir::Graph& graph, DpuExecutorOptions options) : impl_(std::make_unique<Impl>(graph, nullptr, options)) {}
DpuExecutor::DpuExecutor(const xir::Subgraph& subgraph, DpuExecutorOptions options)
    : impl_(std::make_unique<Impl>(*subgraph.get_graph(), &subgraph, options)) {}
DpuExecutor::~DpuExecutor() = default;
const std::vector<const xir::Op*>& DpuExecutor::input_ops() const { return impl_->input_ops; }
const std::vector<const xir::Op*>& DpuExecutor::output_ops() const { return impl_->output_ops; }
int DpuExecutor::fused_convolutions() const { return impl_->fused_convs; }
int DpuExecutor::input_fix_point(std::size_t i) const { return impl_->slot_fp[impl_->slot_of.at(impl_->input_ops.at(i))]; }
std::vector<DpuTensor> DpuExecutor::run(const Inputs& inputs, const Observer& observer) { return impl_->run(inputs, observer); }

}  // namespace dputk::engine
