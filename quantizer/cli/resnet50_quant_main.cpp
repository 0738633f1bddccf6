// resnet50_quant: dpu-quantize with the defaults of Vitis AI's resnet50_quant.py walkthrough
// (model resnet50.onnx, torchvision preprocessing, batch 8).
#include "quantize_cli.hpp"

int main(int argc, char** argv) {
  return dputk::quantize_main(argc, argv,
                              "ResNet50 post-training quantization for the DPU (resnet50_quant.py flags).\n"
                              "Example: resnet50_quant --data_dir imagenet/val --quant_mode calib --subset_len 200\n"
                              "         resnet50_quant --data_dir imagenet/val --quant_mode test",
                              "resnet50.onnx");
}
