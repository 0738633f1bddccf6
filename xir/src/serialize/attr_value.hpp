// Conversion between xir attr values (std::any) and the serial_v2::AttrValue protobuf message.
#pragma once
#include <string>

#include "xir/attrs/attrs.hpp"
#include "xmodel.pb.h"

namespace xir::serial {

// Throws std::invalid_argument for a C++ type the format cannot store.
void to_proto(const any& value, serial_v2::AttrValue* out, const std::string& what);
// Throws std::runtime_error for an AttrValue with no value set.
any from_proto(const serial_v2::AttrValue& value, const std::string& what);

}  // namespace xir::serial
