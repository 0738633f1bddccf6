// The shared command line of dpu-quantize and resnet50_quant.
#pragma once
#include <string>

namespace dputk {
int quantize_main(int argc, char** argv, const std::string& description, const std::string& default_model);
}
