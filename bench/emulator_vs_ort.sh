#!/usr/bin/env bash
# ResNet50 on the emulated DPU (dpu-run --bench on a compiled xmodel: VART graph runner, bit-exact DPU
# arithmetic) vs ONNX Runtime int8 (../shared/bench, u8relu QDQ model, 2 threads), same run.
#   bench/emulator_vs_ort.sh COMPILED_XMODEL [SECONDS]   e.g. demo_out/resnet50/compiled/resnet50.xmodel
# "threads" = runner threads: 1 runner using both cores, or 2 runners with one core each.
set -euo pipefail
cd "$(dirname "$0")/.."
XMODEL=${1:?usage: bench/emulator_vs_ort.sh COMPILED_XMODEL [SECONDS]}
SECS=${2:-20}
PEER=${PEER_BENCH:-../shared/bench}
printf "%-6s %-8s %14s %14s %7s\n" batch threads "ours img/s" "ORT int8 img/s" ratio
for batch in 1 8; do
  ort=$(bash "$PEER/ort_ips.sh" int8 "$SECS" "$batch")
  for threads in 1 2; do
    ours=$(build/bin/dpu-run "$XMODEL" --bench "$SECS" --batch "$batch" --threads "$threads" 2>/dev/null | awk '/^throughput:/ {print $2}')
    printf "%-6s %-8s %14.1f %14.1f %7.2f\n" "$batch" "$threads" "$ours" "$ort" "$(awk -v a="$ours" -v b="$ort" 'BEGIN {print a / b}')"
  done
done
