#!/usr/bin/env bash
# The quantizer on ResNet50 against ONNX Runtime in the same run (2 threads), issue #3's benchmark:
#   calibration on 200 ImageNet images at batch 8 (diffs search + bias-correction statistics, one pass)
#   vs ORT fp32 images/s; test mode (DPU integer evaluation) on 500 images vs ORT int8; peak RSS of each.
#   bench/quantizer_vs_ort.sh RESNET50_ONNX [SECONDS_FOR_ORT]
# (RESNET50_ONNX from scripts/export_torchvision.py, e.g. demo_out/resnet50.onnx.) Our figures are the
# progress lines' images/s (image decoding and preprocessing included).
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
  /usr/bin/time -f "RSS %M" "${Q[@]}" "$@" > "$OUT/log" 2>&1
  local ips rss
  ips=$(grep -E "^(calibration|int8 \(DPU\) evaluation): " "$OUT/log" | tail -1 | sed -E 's/.* ([0-9.]+) images\/s.*/\1/')
  rss=$(awk '/^RSS/ {print int($2 / 1024)}' "$OUT/log")
  echo "$ips $rss"
}
read -r calib calib_rss < <(measure --quant_mode calib --subset_len 200)
read -r test test_rss < <(measure --quant_mode test --subset_len 500)
fp32=$(bash "$PEER/ort_ips.sh" fp32 "$SECS" 8)
int8=$(bash "$PEER/ort_ips.sh" int8 "$SECS" 8)
printf "%-28s %10s %8s %10s %7s %9s\n" "" "ours img/s" "peer" "peer img/s" ratio "peak RSS"
printf "%-28s %10.1f %8s %10.1f %7.2f %6s MB\n" "calibration, 200 images" "$calib" "ORT fp32" "$fp32" \
  "$(awk -v a="$calib" -v b="$fp32" 'BEGIN {print a / b}')" "$calib_rss"
printf "%-28s %10.1f %8s %10.1f %7.2f %6s MB\n" "test mode (int8), 500 images" "$test" "ORT int8" "$int8" \
  "$(awk -v a="$test" -v b="$int8" 'BEGIN {print a / b}')" "$test_rss"
