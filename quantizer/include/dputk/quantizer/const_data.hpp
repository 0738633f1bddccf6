// Reading and writing the float32 values of XIR `const` ops (attr `data`, little-endian bytes).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "xir/op/op.hpp"

namespace dputk {

std::vector<float> const_values(const xir::Op& op);
void set_const_values(xir::Op& op, const std::vector<float>& values);
// The same with a new shape (the op's output tensor follows).
void set_const_values(xir::Op& op, const std::vector<float>& values, const std::vector<std::int32_t>& shape);
// Values of const ops as they were, to put back (a trial's biases, a tuning that is reverted).
class ConstSnapshot {
 public:
  void keep(xir::Op* c) {  // nullptr: nothing
    if (c) consts_.emplace_back(c, const_values(*c));
  }
  void restore() const {
    for (const auto& [c, v] : consts_) set_const_values(*c, v);
  }

 private:
  std::vector<std::pair<xir::Op*, std::vector<float>>> consts_;
};

std::unique_ptr<xir::Attrs> const_attrs(const std::vector<std::int32_t>& shape, const std::vector<float>& values);

}  // namespace dputk
