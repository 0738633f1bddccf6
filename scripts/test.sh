#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs the whole GoogleTest suite with ctest.
# Tests read real data from ../shared/data (override with -DDPU_SHARED_DATA=... via scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2
