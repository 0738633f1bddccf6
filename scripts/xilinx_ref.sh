#!/usr/bin/env bash
# Builds Xilinx's own XIR + VART + Vitis-AI-Library cpu_task (Vitis AI 3.5, ../shared/xilinx-ref) — the
# reference the conformance tests hold us against — and makes DIR (default build-xilinx/, git-ignored)
# point at it.
#
#   scripts/xilinx_ref.sh [DIR]
#
# The build lives in a cache outside the clone, keyed by the hash of the sources (tarball, patches, build
# script): $DPUTK_CACHE (default $XDG_CACHE_HOME or ~/.cache, /dpu-toolkit)/xilinx-ref-<hash>. A fresh clone on a machine that
# built it before reuses it (~10 s); otherwise it builds (5–7 minutes on 2 cores). The build tree is not
# relocatable (absolute RUNPATH), so DIR is a symlink to the cache entry. Afterwards: `. DIR/env.sh`.
# env: XILINX_REF (default ../shared/xilinx-ref), DPUTK_CACHE.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-xilinx}
ref=$(realpath -m "${XILINX_REF:-../shared/xilinx-ref}")
[ -f "$ref/build.sh" ] || { echo "xilinx_ref: $ref/build.sh not found (set XILINX_REF to ../shared/xilinx-ref)" >&2; exit 2; }
tarball=$ref/vitis-ai-3.5-runtime-src.tar.gz
[ -f "$tarball" ] || { echo "xilinx_ref: $tarball not found" >&2; exit 2; }

# What the build depends on: the sources and every file of ours that build.sh copies in.
key=$( (sha256sum "$tarball" | cut -c1-64
        find "$ref" -type f \( -name '*.sh' -o -name '*.patch' -o -name '*.cpp' -o -name '*.py' -o -name 'CMakeLists.txt' \) \
             -print0 | sort -z | xargs -0 sha256sum | sed "s|$ref/||") | sha256sum | cut -c1-16)
cache=$(realpath -m "${DPUTK_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dpu-toolkit}")/xilinx-ref-$key
mkdir -p "$cache"

if [ -f "$cache/.complete" ] && [ -x "$cache/install/bin/run_xmodel" ]; then
  echo "xilinx_ref: reusing $cache"
else
  echo "xilinx_ref: building $ref into $cache (5–7 minutes; log: $cache.log)"
  start=$(date +%s)
  bash "$ref/build.sh" "$cache" > "$cache.log" 2>&1 || { tail -n 40 "$cache.log"; echo "xilinx_ref: build failed (log: $cache.log)" >&2; exit 1; }
  touch "$cache/.complete"
  echo "xilinx_ref: built in $(( $(date +%s) - start )) s"
fi

# DIR → the cache entry (replace an older link; never a real directory someone made)
if [ -L "$dir" ]; then rm "$dir"; fi
if [ -e "$dir" ]; then
  [ "$(realpath "$dir")" = "$cache" ] || { echo "xilinx_ref: $dir exists and is not a link to $cache; remove it" >&2; exit 2; }
else
  ln -s "$cache" "$dir"
fi
echo "xilinx_ref: $dir -> $cache (. $dir/env.sh)"
