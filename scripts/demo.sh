#!/usr/bin/env bash
# The main job on the shared data, for each model:
#   ONNX float model → float accuracy → post-training quantization (calib) → int8 accuracy as the DPU
#   computes it (test) → compile for the KV260/ZCU102 DPU (dpu-compile, builtin backend) → classify the
#   same held-out images with the VART application on the emulated DPU → accuracy and speed.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DPU_SHARED_DATA:-../shared/data}
OUT=${DEMO_OUT:-demo_out}
ARCH=board/kv260/arch.json
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p "$OUT"
B=build/bin

# name, calibration images, app image source, preprocessing, then the dpu-quantize model/data flags
run() {
  local name=$1 cal=$2 images=$3 pre=$4; shift 4
  echo "== $name: float, on the images after the first $cal"
  $B/dpu-quantize "$@" --preprocess "$pre" --quant_mode float --skip "$cal" | grep -E "^(Accuracy|Top-5|Images)"
  echo "== $name: calibrate on the first $cal images"
  $B/dpu-quantize "$@" --preprocess "$pre" --quant_mode calib --subset_len "$cal" --output_dir "$OUT/$name" | tail -1
  echo "== $name: int8 as the DPU computes it (quantizer test mode), same held-out images"
  $B/dpu-quantize "$@" --preprocess "$pre" --quant_mode test --skip "$cal" --output_dir "$OUT/$name" | grep -E "^(Accuracy|Top-5|Images)"
  echo "== $name: compile for $(cat $ARCH)"
  local xm
  xm=$(ls "$OUT/$name"/*_int.xmodel)
  $B/dpu-compile -x "$xm" -a "$ARCH" -o "$OUT/$name/compiled" -n "$name" | grep -E "^Total"
  echo "== $name: the VART application on the emulated DPU, same held-out images"
  $B/resnet50 "$OUT/$name/compiled/$name.xmodel" "$images" --preprocess "$pre" --skip "$cal" \
    --labels "$DATA/imagenet/synset_words.txt" 2>/dev/null | grep -E "^(Accuracy|Top-5|Images|End-to-end|DPU only)"
}

# MobileNetV2 keeps the ReLU6 after its depthwise convolutions (vai_q's ReLU6→ReLU costs it 6 points).
run mobilenet_v2 100 "$DATA/imagenet/val_500.txt" inception \
  --model "$DATA/imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx" --data_dir "$DATA/imagenet/val_500" --val_list "$DATA/imagenet/val_500.txt" \
  --config_file quantizer/configs/keep_relu6_after_depthwise.json
run cifar_resnet20 500 "$DATA/cifar10/test_batch.bin" cifar \
  --model "$DATA/cifar10/resnet20.onnx" --data_dir "$DATA/cifar10/test_batch.bin" --batch_size 50

echo "== ResNet50 from torchvision (seeded random weights unless you pass --weights to the export script:"
echo "   its accuracy is meaningless; the float/int8 agreement, the compile and the speed are not)"
[ -f "$OUT/resnet50.onnx" ] || /usr/bin/python3 scripts/export_torchvision.py --model resnet50 --output "$OUT/resnet50.onnx"
R50=(--model "$OUT/resnet50.onnx" --data_dir "$DATA/imagenet/val_500" --val_list "$DATA/imagenet/val_500.txt" --preprocess torchvision)
$B/dpu-quantize "${R50[@]}" --quant_mode calib --subset_len 100 --output_dir "$OUT/resnet50" | tail -1
$B/dpu-quantize "${R50[@]}" --quant_mode test --skip 400 --compare_float --output_dir "$OUT/resnet50" | grep -E "agreement"
$B/dpu-compile -x "$OUT/resnet50/resnet50_int.xmodel" -a "$ARCH" -o "$OUT/resnet50/compiled" -n resnet50 | grep -E "^Total"
$B/resnet50 "$OUT/resnet50/compiled/resnet50.xmodel" "$DATA/imagenet/val_500.txt" --skip 400 --threads 2 2>/dev/null |
  grep -E "^(Images|End-to-end|DPU only)"
$B/dpu-run "$OUT/resnet50/compiled/resnet50.xmodel" --bench 5 --batch 8 | tail -1
