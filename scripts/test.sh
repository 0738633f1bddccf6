#!/usr/bin/env bash
# The test command: installs dependencies, builds (x86 and the aarch64 cross build of the runtime),
# runs the whole GoogleTest suite with ctest — the arm64 programs under qemu-aarch64-static included.
# Tests read real data from ../shared/data (override with -DDPU_SHARED_DATA=... via scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh -DDPUTK_ARM64_BUILD="$PWD/build-aarch64"
bash scripts/cross_build.sh --build-dir build-aarch64
ctest --test-dir build --output-on-failure -j2
