// An example custom CPU op, written as for Vitis AI: PReLU with a learned slope per channel (the layer
// of Xilinx's TF2 custom-op example). Its op type in the model is "MyPReLU"; built into
// libvart_op_imp_MyPReLU.so, the runtime runs it on the CPU between DPU subgraphs:
//   g++ -std=c++17 -fPIC -shared my_prelu.cpp $(pkg-config --cflags --libs dputk-vart) -o libvart_op_imp_MyPReLU.so
//   dpu-run model.xmodel in/ out/ --op-plugin-dir .
#include <vart/op_imp.h>

#include <cstddef>
#include <vector>

class MyPReLU {
 public:
  MyPReLU(const xir::Op* op1, xir::Attrs* attrs) : op{op1} {}

  // inputs[0]: x (NHWC, float), inputs[1]: alpha, one slope per channel (the last dimension).
  int calculate(vart::simple_tensor_buffer_t<float> output, std::vector<vart::simple_tensor_buffer_t<float>> inputs) {
    if (inputs.size() != 2) return 1;
    const auto& x = inputs[0];
    const auto& alpha = inputs[1];
    const std::size_t channels = alpha.mem_size / sizeof(float);
    const std::size_t n = x.mem_size / sizeof(float);
    if (channels == 0 || n % channels != 0 || output.mem_size < x.mem_size) return 2;
    for (std::size_t i = 0; i < n; ++i) {
      const float v = x.data[i];
      output.data[i] = v >= 0.0f ? v : v * alpha.data[i % channels];
    }
    return 0;
  }

  const xir::Op* const op;
};

DEF_XIR_OP_IMP(MyPReLU)
