#!/usr/bin/env bash
# Stand-in for scp in tests: HOST:PATH means $FAKE_BOARD_HOME/PATH.
set -euo pipefail
args=()
for a in "$@"; do
  case "$a" in
    -q|-r) ;;
    *:*) args+=("$FAKE_BOARD_HOME/${a#*:}") ;;
    *) args+=("$a") ;;
  esac
done
exec cp -r "${args[@]}"
