// ONNX → XIR float graph. Feature maps become NHWC, conv weights OHWI (depthwise [mult,KH,KW,C]),
// kernel/stride {w,h}, pad {left,right,top,bottom}, as the XIR convention and vai_q's xmodels have it.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "xir/graph/graph.hpp"

namespace dputk {

struct OnnxImportOptions {
  // Batch size used for a symbolic or missing batch dimension of the graph input.
  int batch = 1;
  // Custom ops: a node whose op type this accepts (a CPU plugin exists, or the config declares it) becomes
  // an XIR op of the same type, float, with the shape of its first input (element-wise ops such as a
  // PReLU), its constant inputs as float const ops. Without it, an unknown op type is an error.
  std::function<bool(const std::string& op_type)> custom_op;
};

// Throws std::runtime_error naming the file and, for a node it cannot convert, the node and op type.
std::unique_ptr<xir::Graph> import_onnx(const std::string& path, const OnnxImportOptions& options = {});
std::unique_ptr<xir::Graph> import_onnx_from_string(const std::string& bytes, const std::string& name,
                                                    const OnnxImportOptions& options = {});

// The ONNX op types the importer converts.
const std::vector<std::string>& supported_onnx_ops();

}  // namespace dputk
