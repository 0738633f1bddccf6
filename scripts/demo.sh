#!/usr/bin/env bash
# The main job on the shared data: ONNX float model → accuracy → post-training quantization (calib) →
# the DPU's int8 result (test: the quantized graph lowered to the DPU's fix-op form and run on our
# bit-exact integer DPU emulation) → accuracy, side by side with float on the same images.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DPU_SHARED_DATA:-../shared/data}
OUT=${DEMO_OUT:-demo_out}
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p "$OUT"
Q=build/bin/dpu-quantize

run() {  # name, then the model/data/preprocessing flags; calibrate on the first $CAL images, test on the rest
  local name=$1 cal=$2; shift 2
  echo "== $name: float on the held-out images"
  $Q "$@" --quant_mode float --skip "$cal" | grep -E "^(Accuracy|Top-5|Images)"
  echo "== $name: calibrate on the first $cal images"
  $Q "$@" --quant_mode calib --subset_len "$cal" --output_dir "$OUT/$name" | tail -1
  echo "== $name: int8 as the DPU computes it, same held-out images"
  $Q "$@" --quant_mode test --skip "$cal" --output_dir "$OUT/$name" | grep -E "^(Accuracy|Top-5|Images|  )"
}

run mobilenet_v2 100 --model "$DATA/imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx" \
  --data_dir "$DATA/imagenet/val_500" --val_list "$DATA/imagenet/val_500.txt" --preprocess inception
run cifar_resnet20 500 --model "$DATA/cifar10/resnet20.onnx" --data_dir "$DATA/cifar10/test_batch.bin" \
  --preprocess cifar --batch_size 50

echo "== ResNet50 from torchvision (seeded random weights unless you pass --weights to the export script)"
[ -f "$OUT/resnet50.onnx" ] || /usr/bin/python3 scripts/export_torchvision.py --model resnet50 --output "$OUT/resnet50.onnx"
R50=(--model "$OUT/resnet50.onnx" --data_dir "$DATA/imagenet/val_500" --val_list "$DATA/imagenet/val_500.txt" --preprocess torchvision)
$Q "${R50[@]}" --quant_mode calib --subset_len 100 --output_dir "$OUT/resnet50" | tail -1
$Q "${R50[@]}" --quant_mode test --skip 400 --compare_float --output_dir "$OUT/resnet50" | grep -E "agreement"
build/bin/dpu-bench float --model "$OUT/resnet50.onnx" --batch 1 --seconds 5 | tail -1
