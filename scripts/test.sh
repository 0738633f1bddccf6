#!/usr/bin/env bash
# The test command: installs dependencies, builds (x86, the aarch64 cross build of the runtime, Xilinx's
# XIR/VART/cpu_task reference from ../shared/xilinx-ref and our applications against it), runs the whole
# GoogleTest suite with ctest — the arm64 programs under qemu-aarch64-static included — and then the
# conformance tests against Xilinx's runtime (label xilinx; they check the files the others wrote).
# Tests read real data from ../shared/data (override with -DDPU_SHARED_DATA=... via scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
xilinx=()
if [ -f ../shared/xilinx-ref/build.sh ]; then
  bash scripts/xilinx_ref.sh build-xilinx
  # the board build's applications against real XIR/VART (what a PetaLinux SDK build links)
  cmake -S . -B build-vart -G Ninja -DCMAKE_BUILD_TYPE=Release -DDPU_RUNTIME=vart \
        -DCMAKE_PREFIX_PATH="$PWD/build-xilinx/install" > build-vart.log 2>&1 || { cat build-vart.log; exit 1; }
  cmake --build build-vart -j2 >> build-vart.log 2>&1 || { tail -n 40 build-vart.log; exit 1; }
  xilinx=(-DDPUTK_XILINX_REF="$PWD/build-xilinx" -DDPUTK_VART_BUILD="$PWD/build-vart")
else
  echo "test: ../shared/xilinx-ref not found: the conformance tests against Xilinx's runtime are NOT built or run" >&2
fi
bash scripts/build.sh -DDPUTK_ARM64_BUILD="$PWD/build-aarch64" "${xilinx[@]}"
bash scripts/cross_build.sh --build-dir build-aarch64
ctest --test-dir build --output-on-failure -j2 -LE xilinx
if ((${#xilinx[@]})); then
  # after the rest: the fixtures they share (the model zoo, ResNet50's export) are already made
  ctest --test-dir build --output-on-failure -j2 -L xilinx -FA 'zoo_ci|resnet50_onnx'
fi
