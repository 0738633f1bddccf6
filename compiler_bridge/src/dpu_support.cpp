// Which fix-form ops the DPUCZDX8G engines run: each op's limits live with it in
// compiler_bridge/src/ops/<op>.cpp (target description + UG1414 limits).
#include "dputk/compiler/partition.hpp"
#include "dputk/dpu/op_traits.hpp"
#include "ops/compiler_ops.hpp"

namespace dputk::compiler {

std::string why_not_on_dpu(const xir::Op& op, const EngineLimits& l) {
  const std::string& t = op.get_type();
  if (op.has_attr(dpu::kCpuReasonAttr)) return op.get_attr<std::string>(dpu::kCpuReasonAttr);
  if (const compiler_ops::DpuLimits* limits = compiler_ops::dpu_limits(t)) return (*limits)(op, l);
  if (t.size() > 4 && t.compare(t.size() - 4, 4, "-fix") == 0) return t + " is not supported by this DPU flow";
  return "float op (" + t + ") runs on the CPU";
}

std::string dpu_hint(const xir::Op& op) {
  const std::string& t = op.get_type();
  if (const compiler_ops::DpuHint* hint = compiler_ops::dpu_hint(t)) return (*hint)(op);
  if (compiler_ops::dpu_limits(t) || (t.size() > 4 && t.compare(t.size() - 4, 4, "-fix") == 0)) return "";
  return "no DPU form: it runs on the CPU between DPU subgraphs (the op library's float kernel, or a custom op's plugin)";
}

}  // namespace dputk::compiler
