// Exact DPU forms for data-movement ops no DPU engine has an instruction for (see partition.hpp).
#include "dputk/compiler/partition.hpp"

#include <stdexcept>

namespace dputk::compiler {

namespace {

using IV = std::vector<std::int32_t>;

// Replaces `old` by a new op computing the same tensor (same name, same fix attrs).
xir::Op* replace_op(xir::Graph& g, xir::Op* old, const std::string& suffix, const std::string& type, std::unique_ptr<xir::Attrs> attrs,
                    const std::map<std::string, std::vector<xir::Op*>>& inputs) {
  xir::Op* n = g.add_op(old->get_name() + suffix, type, std::move(attrs), inputs, old->get_output_tensor()->get_data_type());
  if (n->get_output_tensor()->get_shape() != old->get_output_tensor()->get_shape())
    throw std::logic_error("rewriting '" + old->get_name() + "' as " + type + " changed its shape");
  n->get_output_tensor()->set_attrs(old->get_output_tensor()->get_attrs());
  const std::string tensor = old->get_output_tensor()->get_name();
  for (xir::Op* u : old->get_fanout_ops()) u->replace_input_op(old, n);
  g.remove_op(old);
  n->get_output_tensor()->rename(tensor);
  return n;
}

// strided_slice-fix that keeps every element of N and C and subsamples H/W from index 0.
bool is_spatial_subsample(const xir::Op& op, IV* stride_wh) {
  const IV begin = op.get_attr_or<IV>("begin", {}), strides = op.get_attr_or<IV>("strides", {});
  const IV& in = op.get_input_tensor("input")->get_shape();
  const IV& out = op.get_output_tensor()->get_shape();
  if (begin.size() != 4 || strides.size() != 4 || in.size() != 4) return false;
  for (int a = 0; a < 4; ++a)
    if (begin[a] != 0 || strides[a] < 1) return false;
  if (strides[0] != 1 || strides[3] != 1 || out[0] != in[0] || out[3] != in[3]) return false;
  for (int a : {1, 2})
    if (out[a] != (in[a] + strides[a] - 1) / strides[a]) return false;
  *stride_wh = {strides[2], strides[1]};
  return true;
}

// pad-fix that only zero-pads channels (NHWC paddings: before/after pairs per dimension).
bool is_channel_zero_pad(const xir::Op& op, int* before) {
  const IV p = op.get_attr<IV>("paddings");
  if (p.size() != 8 || op.get_attr<std::string>("mode") != "CONSTANT") return false;
  if (op.has_attr("constant_values")) {
    const auto& v = op.get_attr<std::vector<char>>("constant_values");
    for (char c : v)
      if (c != 0) return false;
  }
  for (int i = 0; i < 6; ++i)
    if (p[i] != 0) return false;
  *before = p[6];
  return true;
}

}  // namespace

std::vector<std::string> rewrite_for_dpu(xir::Graph& g) {
  std::vector<std::string> log;
  for (xir::Op* op : g.topological_sort()) {
    IV stride;
    int before = 0;
    const std::string name = op->get_name();
    if (op->get_type() == "strided_slice-fix" && is_spatial_subsample(*op, &stride)) {
      auto a = xir::Attrs::create();
      a->set_attr<IV>("kernel", {1, 1});
      a->set_attr<IV>("stride", stride);
      a->set_attr<IV>("pad", {0, 0, 0, 0});
      a->set_attr<std::string>("type", "MAX");
      replace_op(g, op, "_as_pool", "pool-fix", std::move(a), {{"input", {op->get_input_op("input")}}});
      log.push_back(name + ": strided_slice-fix → pool-fix MAX 1×1 stride [" + std::to_string(stride[0]) + ", " +
                    std::to_string(stride[1]) + "]");
    } else if (op->get_type() == "pad-fix" && is_channel_zero_pad(*op, &before)) {
      const int ic = op->get_input_tensor("input")->get_shape().back(), oc = op->get_output_tensor()->get_shape().back();
      std::vector<char> w(static_cast<std::size_t>(oc) * ic, 0);
      for (int i = 0; i < ic; ++i) w[static_cast<std::size_t>(i + before) * ic + i] = 1;
      auto ca = xir::Attrs::create();
      ca->set_attr<IV>("shape", {oc, 1, 1, ic});
      ca->set_attr<std::string>("data_type", "XINT8");
      ca->set_attr<std::vector<char>>("data", w);
      xir::Op* weights = g.add_op(name + "_one_hot_weights", "const-fix", std::move(ca), {}, xir::DataType("XINT8"));
      auto* wt = weights->get_output_tensor();
      wt->set_attr<std::int32_t>("fix_point", 0);
      wt->set_attr<std::int32_t>("bit_width", 8);
      wt->set_attr<bool>("if_signed", true);
      wt->set_attr<std::string>("round_mode", "DPU_ROUND");
      auto a = xir::Attrs::create();
      a->set_attr<IV>("kernel", {1, 1});
      a->set_attr<IV>("stride", {1, 1});
      a->set_attr<IV>("pad", {0, 0, 0, 0});
      a->set_attr<std::string>("pad_mode", "FLOOR");
      a->set_attr<std::string>("nonlinear", "NONE");
      a->set_attr<bool>("bias_term", false);
      a->set_attr<std::int32_t>("in_dim", ic);
      a->set_attr<std::int32_t>("out_dim", oc);
      replace_op(g, op, "_as_conv", "conv2d-fix", std::move(a), {{"input", {op->get_input_op("input")}}, {"weights", {weights}}});
      log.push_back(name + ": channel zero-pad → 1×1 conv2d-fix with one-hot weights");
    }
  }
  return log;
}

}  // namespace dputk::compiler
