#!/usr/bin/env bash
# Configures and builds dpu-toolkit into build/ (programs in build/bin). Extra args go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j2
