// matmul with a constant second input on oneDNN. Reference kernel: ../matmul.cpp.
#include "../matmul_common.hpp"
#include "kernels/fast/dnnl_misc.hpp"

namespace dputk::engine {

void register_matmul_dnnl(OpRegistry& r) {
  r.add_float("matmul", KernelKind::OPTIMIZED, [](const FloatKernelArgs& a) -> std::unique_ptr<FloatKernel> {
    const ops::Matmul m = ops::prepare_matmul(a);
    if (!m.constant_b) return nullptr;
    auto mm = std::make_shared<fast::DnnlMatmul>(m.constant_b->data.data(), m.bias.empty() ? nullptr : m.bias.data(), m.k, m.n, m.transpose_b);
    const int k = m.k;
    return float_lambda([mm, k](const std::vector<const FloatTensor*>& in, FloatTensor& out) {
      mm->run(in[0]->data.data(), out.data.data(), static_cast<int>(in[0]->numel() / k));
    });
  });
}

}  // namespace dputk::engine
