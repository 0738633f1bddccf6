#!/usr/bin/env bash
# Stand-in for ssh in tests: "ssh HOST CMD" runs CMD in $FAKE_BOARD_HOME (the board login's home).
set -euo pipefail
shift  # HOST
cd "$FAKE_BOARD_HOME"
exec bash -c "$*"
