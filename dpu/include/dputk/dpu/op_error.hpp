// One way to report a problem with an op: "<stage> op '<name>' (<type>): <why>" as std::runtime_error.
#pragma once
#include <string>

#include "xir/op/op.hpp"

namespace dputk::dpu {

// stage: what was being done ("lowering", "partitioning", ...), or empty.
[[noreturn]] void op_fail(const xir::Op& op, const std::string& why, const std::string& stage = "");
std::string op_label(const xir::Op& op);  // "op 'name' (type)"

}  // namespace dputk::dpu
