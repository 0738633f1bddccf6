#!/usr/bin/env bash
# The models the conformance tests run in Xilinx's runtime: quantized by dpu-quantize (calib, then test
# mode with --deploy), compiled by dpu-compile (builtin, KV260), each into OUT/<name>/:
#   quantize_result/*_int.xmodel, *_prepared.xmodel, deploy export; compiled/<name>.xmodel
# usage: make_models.sh BIN_DIR DATA_DIR SOURCE_DIR OUT_DIR [RESNET50_ONNX]
set -euo pipefail
bin=${1:?BIN_DIR} data=${2:?DATA_DIR} src=${3:?SOURCE_DIR} out=${4:?OUT_DIR} resnet50=${5:-}
arch=$src/board/kv260/arch.json
mkdir -p "$out"

# name  onnx  dataset args  calibration images
make_one() {
  local name=$1 onnx=$2 n=$3; shift 3
  local dir=$out/$name
  rm -rf "$dir"; mkdir -p "$dir"
  local t=$(date +%s)
  local common=(--model "$onnx" "$@" --output_dir "$dir/quantize_result")
  "$bin/dpu-quantize" "${common[@]}" --quant_mode calib --subset_len "$n" > "$dir/log.txt" 2>&1 ||
    { cat "$dir/log.txt"; echo "make_models: $name: calib failed" >&2; exit 1; }
  "$bin/dpu-quantize" "${common[@]}" --quant_mode test --subset_len "$n" --deploy >> "$dir/log.txt" 2>&1 ||
    { cat "$dir/log.txt"; echo "make_models: $name: test mode failed" >&2; exit 1; }
  local int
  int=$(ls "$dir"/quantize_result/*_int.xmodel | head -1)
  "$bin/dpu-compile" -x "$int" -a "$arch" -o "$dir/compiled" -n "$name" --backend builtin >> "$dir/log.txt" 2>&1 ||
    { cat "$dir/log.txt"; echo "make_models: $name: compile failed" >&2; exit 1; }
  echo "make_models: $name: $dir/compiled/$name.xmodel ($(( $(date +%s) - t )) s)"
}

make_one resnet20_cifar "$data/cifar10/resnet20.onnx" 32 --data_dir "$data/cifar10/test_batch.bin" --preprocess cifar
# The MobileNets twice: with the defaults (ReLU6 kept, fused into the DPU convolutions as RELU6, which
# cpu_task computes wrong: it ignores the input) and in vai_q's form (ReLU6 → ReLU), which cpu_task runs;
# that form with outlier channels split wherever a layer qualifies (odd channel counts, duplicated rows).
printf '{"target_device": "DPU", "relu6_replace": "relu", "outlier_split": "on"}\n' > "$out/relu.json"
for form in "" _relu; do
  cfg=(); [ -z "$form" ] || cfg=(--config_file "$out/relu.json")
  make_one mobilenet_v2$form "$data/imagenet/mobilenet_v2_1.0_224_quant_dequant.onnx" 16 --data_dir "$data/imagenet/val_500" \
    --val_list "$data/imagenet/val_500.txt" --preprocess inception "${cfg[@]}"
  make_one mobilenet_v1_025$form "$data/imagenet/mobilenet_v1_0.25_128_quant_dequant.onnx" 16 --data_dir "$data/imagenet/val_500" \
    --val_list "$data/imagenet/val_500.txt" --preprocess inception --resize 146 --crop 128 "${cfg[@]}"
done
if [ -n "$resnet50" ]; then
  make_one resnet50 "$resnet50" 4 --data_dir "$data/imagenet/val_500" --val_list "$data/imagenet/val_500.txt" --preprocess torchvision
fi
