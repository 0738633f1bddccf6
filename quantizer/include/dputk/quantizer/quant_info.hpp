// quant_info.json in the Vitis AI layout: {"param": {"<Graph>::<const>": [[8, fp]]}, "output":
// {"<Graph>::<op>": [[8, fp]]}, "input": {}, "fast_finetuned", "bias_corrected", "version"}.
#pragma once
#include <map>
#include <string>

#include "dputk/quantizer/quant_graph.hpp"

namespace dputk {

struct QuantInfo {
  std::map<std::string, int> param, output;  // name → fix point (bit width 8)
  bool fast_finetuned = false, bias_corrected = false;
};

QuantInfo quant_info_of(const QuantGraph& qg);
// Written atomically, formatted as vai_q_pytorch writes it (2-space indent, [[bw,fp]] inline).
void write_quant_info(const QuantInfo& info, const std::string& path);
// Throws std::runtime_error naming the file when it is missing or malformed.
QuantInfo read_quant_info(const std::string& path);

}  // namespace dputk
