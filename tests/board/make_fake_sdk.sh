#!/usr/bin/env bash
# Makes a stand-in PetaLinux SDK for testing scripts/cross_build.sh --sdk: the same layout and
# variables (environment-setup-cortexa72-cortexa53-xilinx-linux, OECORE_NATIVE_SYSROOT with OE's CMake
# toolchain file, OECORE_TARGET_SYSROOT with the Vitis AI headers and xir/vart CMake packages), but
# host compilers, and "Xilinx's" XIR/VART played by our own libraries from an x86 build.
#   usage: make_fake_sdk.sh DIR SOURCE_DIR BUILD_DIR
set -euo pipefail
out=$1 src=$2 build=$3
rm -rf "$out"
native=$out/sysroots/x86_64-petalinux-linux
target=$out/sysroots/cortexa72-cortexa53-xilinx-linux
mkdir -p "$native/usr/share/cmake" "$target/usr/include" "$target/usr/lib/cmake/xir" "$target/usr/lib/cmake/vart"
cp -r "$src/runtime/vart/include/vart" "$target/usr/include/"
cat > "$out/environment-setup-cortexa72-cortexa53-xilinx-linux" <<EOS
export OECORE_NATIVE_SYSROOT="$native"
export OECORE_TARGET_SYSROOT="$target"
export CC=gcc CXX=g++
EOS
cat > "$native/usr/share/cmake/OEToolchainConfig.cmake" <<EOS
list(APPEND CMAKE_PREFIX_PATH "$target/usr/lib/cmake")
EOS
cat > "$target/usr/lib/cmake/xir/xir-config.cmake" <<EOS
add_library(xir::xir INTERFACE IMPORTED)
set_target_properties(xir::xir PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "$src/xir/include"
  INTERFACE_LINK_LIBRARIES "$build/xir/libxir.a;$build/common/libdputk_common.a;protobuf;glog")
EOS
cat > "$target/usr/lib/cmake/vart/vart-config.cmake" <<EOS
foreach(c runner util)
  add_library(vart::\${c} INTERFACE IMPORTED)
endforeach()
set_target_properties(vart::runner PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "$src/runtime/vart/include"
  INTERFACE_LINK_LIBRARIES "$build/runtime/vart/libdputk_vart.a;$build/runtime/engine/libdputk_engine.a;$build/dpu/libdputk_dpu.a;$build/xir/libxir.a;$build/common/libdputk_common.a;dnnl;protobuf;glog;gomp;pthread")
set(vart_FOUND TRUE)
EOS
