#include "dputk/dpu/op_error.hpp"

#include <stdexcept>

namespace dputk::dpu {

std::string op_label(const xir::Op& op) { return "op '" + op.get_name() + "' (" + op.get_type() + ")"; }

void op_fail(const xir::Op& op, const std::string& why, const std::string& stage) {
  throw std::runtime_error((stage.empty() ? "" : stage + " ") + op_label(op) + ": " + why);
}

}  // namespace dputk::dpu
