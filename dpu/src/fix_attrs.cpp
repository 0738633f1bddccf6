#include "dputk/dpu/fix_attrs.hpp"

#include <stdexcept>

#include "dputk/dpu/op_error.hpp"

namespace dputk::dpu {

RoundMode round_mode_of(const xir::Op& op, const char* fallback) {
  try {
    return parse_round_mode(op.get_attr_or<std::string>("round_mode", fallback));
  } catch (const std::exception& e) {
    op_fail(op, e.what());
  }
}

FixSpec fix_spec_of(const xir::Op& fix) {
  if (!fix.has_attr("fix_point")) op_fail(fix, "has no fix_point");
  FixSpec f;
  f.fix_point = fix.get_attr<std::int32_t>("fix_point");
  f.bit_width = fix.get_attr_or<std::int32_t>("bit_width", 8);
  f.if_signed = fix.get_attr_or<bool>("if_signed", true);
  f.round = round_mode_of(fix, "");
  return f;
}

}  // namespace dputk::dpu
