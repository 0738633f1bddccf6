// Internal: what the reference and oneDNN pooling kernels share.
#pragma once
#include "dputk/engine/op_registry.hpp"

namespace dputk::engine::ops {

ref::Window2d pool_window(const xir::Op& op);  // from the op's first input and its output
bool fix_pool_is_avg(const xir::Op& op);       // pool-fix type AVG (true) or MAX; throws for others

}  // namespace dputk::engine::ops
