// ONNX → XIR float graph. Feature maps become NHWC, conv weights OHWI (depthwise [mult,KH,KW,C]),
// kernel/stride {w,h}, pad {left,right,top,bottom}, as the XIR convention and vai_q's xmodels have it.
#pragma once
#include <memory>
#include <string>

#include "xir/graph/graph.hpp"

namespace dputk {

struct OnnxImportOptions {
  // Batch size used for a symbolic or missing batch dimension of the graph input.
  int batch = 1;
};

// Throws std::runtime_error naming the file and, for a node it cannot convert, the node and op type.
std::unique_ptr<xir::Graph> import_onnx(const std::string& path, const OnnxImportOptions& options = {});
std::unique_ptr<xir::Graph> import_onnx_from_string(const std::string& bytes, const std::string& name,
                                                    const OnnxImportOptions& options = {});

// The ONNX op types the importer converts.
const std::vector<std::string>& supported_onnx_ops();

}  // namespace dputk
