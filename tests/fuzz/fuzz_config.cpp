// libFuzzer target: the quantization config file parser and validator (Vitis AI Quant_Config JSON).
#include <cstdint>
#include <stdexcept>

#include "dputk/quantizer/quant_config.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    (void)dputk::load_quant_config(dputk::fuzz::write_scratch("config.json", data, size));
  } catch (const std::exception&) {
  }
  return 0;
}
