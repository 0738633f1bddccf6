#!/usr/bin/env bash
# The main job on the shared data: float models → accuracy on real images with dpu-toolkit.
# Stages that exist today: ONNX import and float evaluation (MobileNetV2 on 500 ImageNet images,
# CIFAR ResNet20 on the CIFAR-10 test set) and ResNet50 export from torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DPU_SHARED_DATA:-../shared/data}
OUT=${DEMO_OUT:-demo_out}
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p "$OUT"

echo "== MobileNetV2 (float) on $DATA/imagenet/val_500 (published: 78.00% top-1, 91.60% top-5)"
build/bin/dpu-quantize --model "$DATA/imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx" \
  --data_dir "$DATA/imagenet/val_500" --val_list "$DATA/imagenet/val_500.txt" \
  --preprocess inception --quant_mode float

echo "== CIFAR ResNet20 (float) on $DATA/cifar10/test_batch.bin (published for this file: 81.03%)"
build/bin/dpu-quantize --model "$DATA/cifar10/resnet20.onnx" --data_dir "$DATA/cifar10/test_batch.bin" \
  --preprocess cifar --quant_mode float --batch_size 50

echo "== ResNet50 from torchvision (seeded random weights unless you pass a .pth), float speed"
[ -f "$OUT/resnet50.onnx" ] || /usr/bin/python3 scripts/export_torchvision.py --model resnet50 --output "$OUT/resnet50.onnx"
build/bin/dpu-bench float --model "$OUT/resnet50.onnx" --batch 1 --seconds 5
