// --deploy (test mode): the files Vitis AI's export_xmodel(deploy_check=True) and export_torch_script()
// write, from the quantized graph:
//  - <Graph>_int.xmodel, the quantizer form ready for vai_c_xir / dpu-compile (written again);
//  - deploy_check_data_int/<Graph>/: for one input, every int8 tensor the DPU computes as
//    <name>_fix.bin (int8, NHWC) and <name>.bin (float32 = q·2^-fp), every parameter likewise, and
//    shape.txt ("<shape>: <name>" lines); names with non-alphanumerics replaced by '_'. These are the
//    files users compare with dumps from the board. The directory appears whole or not at all.
//  - <Graph>_int.pt: a TorchScript module (NCHW input, like the source model) computing the quantized
//    network with its fix (fake-quant) ops, loadable by torch.jit.load and libtorch — when built with
//    libtorch (CMake option DPUTK_WITH_TORCHSCRIPT).
#pragma once
#include <string>

#include "dputk/engine/float_tensor.hpp"
#include "xir/graph/graph.hpp"

namespace dputk {

struct DeployResult {
  std::string xmodel, dump_dir, torchscript;  // torchscript empty when built without libtorch
  std::size_t dumped_tensors = 0;
};

// `one_input`: one preprocessed image, NHWC [1,H,W,C].
DeployResult export_deploy(const xir::Graph& quantized, const engine::FloatTensor& one_input, const std::string& output_dir);

// The TorchScript part alone. Returns false (writing nothing) when built without libtorch; throws
// std::runtime_error naming the op for an op it cannot express.
bool export_torchscript(const xir::Graph& quantized, const std::string& path);
bool torchscript_supported();

// Dump file stem for a tensor name: non-alphanumerics → '_'.
std::string dump_name(const std::string& tensor);

}  // namespace dputk
