#!/usr/bin/env bash
# Cross-builds the runtime for ZCU102 / KV260 (aarch64) in one go.
#
#   scripts/cross_build.sh                      Debian cross toolchain + an arm64 sysroot of Debian packages,
#                                               our DPU emulation (DPU_RUNTIME=emu): build-aarch64/
#   scripts/cross_build.sh --sdk ~/petalinux_sdk_2022.2
#                                               a PetaLinux SDK (environment-setup-*) with the Vitis AI
#                                               libraries in its sysroot, real XIR/VART (DPU_RUNTIME=vart):
#                                               build-aarch64-sdk/
# Options: --runtime emu|vart (default: emu without --sdk, vart with it), --build-dir DIR.
# The programs land in <build dir>/bin and a board-ready tree in <build dir>/install (bin/, share/).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
sdk="" runtime="" build=""
while (($#)); do
  case "$1" in
    --sdk) sdk=${2:?--sdk needs the SDK directory}; shift 2 ;;
    --runtime) runtime=${2:?--runtime needs emu or vart}; shift 2 ;;
    --build-dir) build=${2:?--build-dir needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cross_build: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ -n "$build" ]; then mkdir -p "$(dirname "$(realpath -m "$build")")"; fi
if [ -n "$sdk" ]; then
  # PetaLinux SDK: its environment script sets CC/CXX, the target sysroot and OE's CMake toolchain file.
  [ -d "$sdk" ] || { echo "cross_build: --sdk $sdk: no such directory" >&2; exit 2; }
  env_script=$(ls "$sdk"/environment-setup-*aarch64* "$sdk"/environment-setup-cortexa72-cortexa53-* 2>/dev/null | head -1 || true)
  [ -n "$env_script" ] || { echo "cross_build: --sdk $sdk: no environment-setup-* script for aarch64 (install the SDK with sdk.sh first)" >&2; exit 2; }
  runtime=${runtime:-vart}
  build=$(realpath -m "${build:-build-aarch64-sdk}")
  unset LD_LIBRARY_PATH  # the SDK's script refuses to run with it set
  # shellcheck disable=SC1090
  source "$env_script"
  toolchain="$OECORE_NATIVE_SYSROOT/usr/share/cmake/OEToolchainConfig.cmake"
  [ -f "$toolchain" ] || { echo "cross_build: $env_script did not give OE's CMake toolchain ($toolchain)" >&2; exit 2; }
  if [ "$runtime" = vart ] && [ ! -f "$OECORE_TARGET_SYSROOT/usr/include/vart/runner.hpp" ]; then
    echo "cross_build: $OECORE_TARGET_SYSROOT has no VART headers: untar vitis_ai_2022.2-r3.0.0.tar.gz into that sysroot" \
         "(Vitis AI board_setup/mpsoc/host_cross_compiler_setup.sh), or use --runtime emu" >&2
    exit 2
  fi
  echo "cross_build: PetaLinux SDK $env_script, DPU_RUNTIME=$runtime → $build"
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
        -DDPU_RUNTIME="$runtime" -DDPUTK_RUNTIME_ONLY=ON -DCMAKE_INSTALL_PREFIX="$build/install" > "$build.log" 2>&1 \
    || { cat "$build.log"; exit 1; }
else
  runtime=${runtime:-emu}
  build=$(realpath -m "${build:-build-aarch64}")
  [ "$runtime" = emu ] || { echo "cross_build: --runtime vart needs a sysroot with Xilinx's XIR/VART: use --sdk" >&2; exit 2; }
  need=()
  command -v aarch64-linux-gnu-g++ > /dev/null || need+=(g++-aarch64-linux-gnu)
  command -v qemu-aarch64-static > /dev/null || need+=(qemu-user-static)
  if ((${#need[@]})); then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "cross_build: installing ${need[*]}"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
  fi
  bash scripts/arm64_sysroot.sh "$build/sysroot"
  echo "cross_build: Debian aarch64 toolchain, DPU_RUNTIME=$runtime → $build"
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$src/cmake/toolchains/aarch64-linux-gnu.cmake" \
        -DDPUTK_ARM64_SYSROOT="$build/sysroot" -DCMAKE_BUILD_TYPE=Release -DDPU_RUNTIME="$runtime" \
        -DDPUTK_RUNTIME_ONLY=ON -DCMAKE_INSTALL_PREFIX="$build/install" > "$build.log" 2>&1 \
    || { cat "$build.log"; exit 1; }
fi
cmake --build "$build" -j2
cmake --install "$build" > /dev/null
echo "cross_build: done — $(ls "$build/bin" | tr '\n' ' ')(in $build/bin; board tree in $build/install)"
