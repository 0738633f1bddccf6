// dpu-quantize: post-training quantization for the DPU (float / calib / test).
#include "quantize_cli.hpp"

int main(int argc, char** argv) {
  return dputk::quantize_main(
      argc, argv,
      "Quantize a float ONNX CNN for the Xilinx DPU (power-of-two int8), or evaluate it.\n"
      "Example (MobileNetV2: calibrate on 100 ImageNet images, evaluate the DPU's int8 on the other 400):\n"
      "  dpu-quantize --model ../shared/data/imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx \\\n"
      "    --data_dir ../shared/data/imagenet/val_500 --val_list ../shared/data/imagenet/val_500.txt \\\n"
      "    --preprocess inception --quant_mode calib --subset_len 100\n"
      "  (same flags) --quant_mode test --skip 100",
      "");
}
