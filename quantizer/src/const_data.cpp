#include "dputk/quantizer/const_data.hpp"

#include "dputk/engine/op_registry.hpp"

#include <cstring>
#include <stdexcept>

namespace dputk {

std::vector<float> const_values(const xir::Op& op) {
  if (op.get_type() != "const") throw std::runtime_error("op '" + op.get_name() + "' is a " + op.get_type() + ", not a const");
  xir::DataType dt(op.get_attr<std::string>("data_type"));
  if (dt.type != xir::DataType::FLOAT || dt.bit_width != 32)
    throw std::runtime_error("const '" + op.get_name() + "' holds " + dt.to_string() + " values, expected FLOAT32");
  return engine::decode_const(op).data;  // the op library's one const decoder (checks size against shape)
}

std::unique_ptr<xir::Attrs> const_attrs(const std::vector<std::int32_t>& shape, const std::vector<float>& values) {
  auto a = xir::Attrs::create();
  a->set_attr<std::vector<std::int32_t>>("shape", shape);
  a->set_attr<std::string>("data_type", "FLOAT32");
  std::vector<char> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  a->set_attr<std::vector<char>>("data", bytes);
  return a;
}

void set_const_values(xir::Op& op, const std::vector<float>& values) {
  std::vector<char> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  op.set_attr<std::vector<char>>("data", bytes);
}

void set_const_values(xir::Op& op, const std::vector<float>& values, const std::vector<std::int32_t>& shape) {
  op.set_attr<std::vector<std::int32_t>>("shape", shape);
  set_const_values(op, values);
  op.shape_infer();
}

}  // namespace dputk
