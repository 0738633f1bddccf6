#!/usr/bin/env bash
# Float ResNet50 throughput, ours vs ONNX Runtime fp32, in the same run (2 threads).
#   bench/float_vs_ort.sh [SECONDS]      (needs build/bin/dpu-bench and ../shared/bench)
# Both run the same torchvision ResNet50 made by ../shared/bench/setup.sh (random weights, BN folded).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
PEER=${PEER_BENCH:-../shared/bench}
source "$PEER/env.sh"
[ -f "$MODELS/resnet50_fp32.onnx" ] || bash "$PEER/setup.sh" >&2
printf "%-6s %14s %14s %7s\n" batch "ours img/s" "ORT fp32 img/s" ratio
for batch in 1 8; do
  ours=$(build/bin/dpu-bench float --model "$MODELS/resnet50_fp32.onnx" --batch "$batch" --seconds "$SECS" --threads 2 2>/dev/null |
         awk '/^throughput:/ {print $2}')
  ort=$(bash "$PEER/ort_ips.sh" fp32 "$SECS" "$batch")
  printf "%-6s %14.1f %14.1f %7.2f\n" "$batch" "$ours" "$ort" "$(awk -v a="$ours" -v b="$ort" 'BEGIN {print a / b}')"
done
