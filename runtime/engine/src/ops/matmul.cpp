// matmul (float, the fully connected layer): reference kernel. oneDNN: fast/matmul_dnnl.cpp.
#include "dputk/dpu/op_error.hpp"
#include "matmul_common.hpp"

namespace dputk::engine {

ops::Matmul ops::prepare_matmul(const FloatKernelArgs& a) {
  const xir::Op& op = a.op;
  if (op.get_attr<bool>("transpose_a")) dpu::op_fail(op, "transpose_a is not supported");
  Matmul m;
  m.transpose_b = op.get_attr<bool>("transpose_b");
  auto ins = op.get_input_ops("input");
  if (ins.size() != 2) dpu::op_fail(op, "needs two inputs");
  const auto& ws = ins[1]->get_output_tensor()->get_shape();
  if (ws.size() != 2) dpu::op_fail(op, "the second input must be 2-D");
  m.k = m.transpose_b ? ws[1] : ws[0];
  m.n = m.transpose_b ? ws[0] : ws[1];
  if (const xir::Op* b = op.get_input_op("bias")) {
    const FloatTensor* t = a.constants(b);
    if (!t) dpu::op_fail(op, "input 'bias' must be constant (from const ops)");
    m.bias = t->data;
  }
  m.constant_b = a.constants(ins[1]);
  return m;
}

void register_matmul(OpRegistry& r) {
  r.add_float("matmul", KernelKind::REFERENCE, [](const FloatKernelArgs& a) {
    const ops::Matmul m = ops::prepare_matmul(a);
    return float_lambda([m](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      const int rows = static_cast<int>(in[0]->numel() / m.k);
      ref::matmul(in[0]->data.data(), in[1]->data.data(), m.bias.empty() ? nullptr : m.bias.data(), out.data.data(), rows, m.k, m.n,
                  m.transpose_b);
    });
  });
}

}  // namespace dputk::engine
