#include "xir/util/data_type.hpp"

#include <cctype>
#include <stdexcept>

namespace xir {

DataType::DataType(const std::string& name) {
  std::size_t i = 0;
  while (i < name.size() && std::isalpha(static_cast<unsigned char>(name[i]))) ++i;
  std::string letters = name.substr(0, i);
  std::string digits = name.substr(i);
  bool all_upper = true, all_lower = true;
  for (char c : letters) {
    all_upper = all_upper && std::isupper(static_cast<unsigned char>(c));
    all_lower = all_lower && std::islower(static_cast<unsigned char>(c));
  }
  bool digits_ok = !digits.empty() && digits.size() <= 3;
  for (char c : digits) digits_ok = digits_ok && std::isdigit(static_cast<unsigned char>(c));
  if (letters.empty() || !(all_upper || all_lower) || !digits_ok) {
    type = UNKNOWN;
    bit_width = 0;
    return;
  }
  std::string up;
  for (char c : letters) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  bit_width = std::stoi(digits);
  if (up == "INT") type = INT;
  else if (up == "UINT") type = UINT;
  else if (up == "XINT") type = XINT;
  else if (up == "XUINT") type = XUINT;
  else if (up == "FLOAT") type = FLOAT;
  else if (up == "BFLOAT") type = BFLOAT;
  else {
    type = UNKNOWN;
    bit_width = 0;
  }
}

std::string DataType::to_string() const {
  static const char* names[] = {"INT", "UINT", "XINT", "XUINT", "FLOAT", "BFLOAT", "UNKNOWN"};
  int t = static_cast<int>(type);
  if (t < 0 || t > UNKNOWN) t = UNKNOWN;
  return std::string(names[t]) + std::to_string(bit_width);
}

}  // namespace xir
