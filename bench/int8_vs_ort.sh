#!/usr/bin/env bash
# ResNet50 int8 throughput: our DPU integer engine (bit-exact DPU arithmetic) vs ONNX Runtime int8
# (../shared/bench, u8relu QDQ model), same run, 2 threads.
#   bench/int8_vs_ort.sh XMODEL [SECONDS]   XMODEL = a quantized resnet50_int.xmodel from dpu-quantize calib
set -euo pipefail
cd "$(dirname "$0")/.."
XMODEL=${1:?usage: bench/int8_vs_ort.sh RESNET50_INT_XMODEL [SECONDS]}
SECS=${2:-20}
PEER=${PEER_BENCH:-../shared/bench}
source "$PEER/env.sh"
printf "%-6s %14s %14s %7s\n" batch "ours img/s" "ORT int8 img/s" ratio
for batch in 1 8; do
  ours=$(build/bin/dpu-bench int8 --xmodel "$XMODEL" --batch "$batch" --seconds "$SECS" --threads 2 2>/dev/null | awk '/^throughput:/ {print $2}')
  ort=$(bash "$PEER/ort_ips.sh" int8 "$SECS" "$batch")
  printf "%-6s %14.1f %14.1f %7.2f\n" "$batch" "$ours" "$ort" "$(awk -v a="$ours" -v b="$ort" 'BEGIN {print a / b}')"
done
