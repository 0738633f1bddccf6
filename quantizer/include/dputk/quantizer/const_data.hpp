// Reading and writing the float32 values of XIR `const` ops (attr `data`, little-endian bytes).
#pragma once
#include <vector>

#include "xir/op/op.hpp"

namespace dputk {

std::vector<float> const_values(const xir::Op& op);
void set_const_values(xir::Op& op, const std::vector<float>& values);
std::unique_ptr<xir::Attrs> const_attrs(const std::vector<std::int32_t>& shape, const std::vector<float>& values);

}  // namespace dputk
