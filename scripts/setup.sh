#!/usr/bin/env bash
# Installs every Debian package dpu-toolkit needs to build, test and run the demo. Idempotent: only
# missing packages are installed. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libprotobuf-dev protobuf-compiler libonnx-dev libdnnl-dev
  libopencv-dev libgoogle-glog-dev libgtest-dev libgmock-dev
  nlohmann-json3-dev libcli11-dev zlib1g-dev libssl-dev
  # the quantizer's weight rounding (Cholesky factors)
  liblapack-dev
  # --deploy's TorchScript export (<Graph>_int.pt) and --fast_finetune's autograd; OpenBLAS replaces
  # the reference BLAS libtorch's convolutions otherwise run on (fast finetune twice as fast)
  libtorch-dev libopenblas0-openmp
  # scripts/cross_build.sh (aarch64 for ZCU102 / KV260) and its tests under qemu
  g++-aarch64-linux-gnu qemu-user-static
  # scripts/export_torchvision.py (ResNet50 → ONNX) and the tests that use it
  python3 python3-numpy python3-torch python3-torchvision python3-onnx
  # the quantization report's browser test (headless rendering, console errors, screenshot)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
