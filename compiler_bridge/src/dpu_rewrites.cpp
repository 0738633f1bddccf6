// compiler::rewrite_for_dpu: applies the op files' DPU rewrites (compiler_ops::add_dpu_rewrite) until
// none applies, and the helpers they share.
#include "dputk/compiler/partition.hpp"
#include "ops/compiler_ops.hpp"

#include <climits>
#include <stdexcept>

namespace dputk::compiler_ops {

int fix_point_of(const xir::Tensor* t) { return t->has_attr("fix_point") ? t->get_attr<std::int32_t>("fix_point") : INT_MIN; }

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

// One weight 2^k per row, k = max(0, fo − fi) so that shift_cut = fi + k − fo >= 0, no bias — exactly
// requantize(x, fi, fo) (dpu_arith.hpp's conv_output with acc = x·2^k); k must fit the int8 weight.
bool as_one_hot_conv(xir::Graph& g, xir::Op* old, xir::Op* input, const std::vector<int>& source, int fi, int fo) {
  if (fi == INT_MIN || fo == INT_MIN) return false;  // a value without a fix point: no int8 form
  const int k = std::max(0, fo - fi);
  if (k > 6) return false;
  const std::string name = old->get_name();
  const int ic = input->get_output_tensor()->get_shape().back(), oc = static_cast<int>(source.size());
  std::vector<char> w(static_cast<std::size_t>(oc) * ic, 0);
  for (int c = 0; c < oc; ++c)
    if (source[c] >= 0) w[static_cast<std::size_t>(c) * ic + source[c]] = static_cast<char>(1 << k);
  auto ca = xir::Attrs::create();
  ca->set_attr<IV>("shape", {oc, 1, 1, ic});
  ca->set_attr<std::string>("data_type", "XINT8");
  ca->set_attr<std::vector<char>>("data", w);
  xir::Op* weights = g.add_op(name + "_one_hot_weights", "const-fix", std::move(ca), {}, xir::DataType("XINT8"));
  auto* wt = weights->get_output_tensor();
  wt->set_attr<std::int32_t>("fix_point", k);
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
  replace_op(g, old, "_as_conv", "conv2d-fix", std::move(a), {{"input", {input}}, {"weights", {weights}}});
  return true;
}

}  // namespace dputk::compiler_ops

namespace dputk::compiler {

std::vector<std::string> rewrite_for_dpu(xir::Graph& g) {
  std::vector<std::string> log;
  // After each rewrite the graph is walked again from the start: a rewrite may remove ops after the one
  // it was given (a run of layout ops), and the rewritten form may open another case.
  for (bool changed = true; changed;) {
    changed = false;
    for (xir::Op* op : g.topological_sort()) {
      for (const auto& rewrite : compiler_ops::dpu_rewrites(op->get_type())) {
        std::string line = rewrite(g, *op);
        if (line.empty()) continue;
        log.push_back(std::move(line));
        changed = true;
        break;
      }
      if (changed) break;
    }
  }
  return log;
}

}  // namespace dputk::compiler
