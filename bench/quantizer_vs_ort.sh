#!/usr/bin/env bash
# The quantizer on ResNet50 against ONNX Runtime in the same run (2 threads), issue #3's benchmark:
#   calibration on 200 ImageNet images at batch 8 — the whole calib run (statistics for the preparation,
#   the calibration pass, bias correction; wall time, model loading included) — vs ORT fp32 images/s;
#   test mode (DPU integer evaluation) on 500 images vs ORT int8; peak RSS of each.
#   bench/quantizer_vs_ort.sh RESNET50_ONNX [SECONDS_FOR_ORT]
# (RESNET50_ONNX from scripts/export_torchvision.py, e.g. demo_out/resnet50.onnx.) Our figures include
# image decoding and preprocessing (ORT's run on a ready tensor); test mode also reports the time in
# the DPU arithmetic alone.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: bench/quantizer_vs_ort.sh RESNET50_ONNX [SECONDS]}
SECS=${2:-15}
DATA=${DPU_SHARED_DATA:-../shared/data}
PEER=${PEER_BENCH:-../shared/bench}
source "$PEER/env.sh"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
Q=(build/bin/dpu-quantize --model "$MODEL" --data_dir "$DATA/imagenet/val_500" --val_list "$DATA/imagenet/val_500.txt"
   --preprocess torchvision --batch_size 8 --output_dir "$OUT")
measure() {  # prints "images/s peak_MB" of one dpu-quantize run
  /usr/bin/time -f "RSS %M WALL %e" "${Q[@]}" "$@" > "$OUT/log" 2>&1
  awk '/^RSS/ {print int($2 / 1024)}' "$OUT/log" > "$OUT/rss"
  awk '/^RSS/ {print $4}' "$OUT/log" > "$OUT/wall"
}
measure --quant_mode calib --subset_len 200
calib=$(awk '{print 200 / $1}' "$OUT/wall")
calib_rss=$(cat "$OUT/rss")
measure --quant_mode test --subset_len 500
line=$(grep -E "^int8 \(DPU\) evaluation: [0-9.]+ images/s \(" "$OUT/log")
test=$(echo "$line" | sed -E 's/^int8 \(DPU\) evaluation: ([0-9.]+) images.*/\1/')
engine=$(echo "$line" | sed -E 's/.*\(([0-9.]+) images\/s in the DPU.*/\1/')
test_rss=$(cat "$OUT/rss")
fp32=$(bash "$PEER/ort_ips.sh" fp32 "$SECS" 8)
int8=$(bash "$PEER/ort_ips.sh" int8 "$SECS" 8)
printf "%-28s %10s %8s %10s %7s %9s\n" "" "ours img/s" "peer" "peer img/s" ratio "peak RSS"
printf "%-28s %10.1f %8s %10.1f %7.2f %6s MB\n" "calibration, 200 images" "$calib" "ORT fp32" "$fp32" \
  "$(awk -v a="$calib" -v b="$fp32" 'BEGIN {print a / b}')" "$calib_rss"
printf "%-28s %10.1f %8s %10.1f %7.2f %6s MB\n" "test mode (int8), 500 images" "$test" "ORT int8" "$int8" \
  "$(awk -v a="$test" -v b="$int8" 'BEGIN {print a / b}')" "$test_rss"
printf "%-28s %10.1f %8s %10.1f %7.2f\n" "  DPU arithmetic alone" "$engine" "ORT int8" "$int8" \
  "$(awk -v a="$engine" -v b="$int8" 'BEGIN {print a / b}')"
