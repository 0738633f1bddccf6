# Cross-compiling for ZCU102 / KV260 (Cortex-A53, aarch64) with Debian's cross toolchain
# (apt-get install g++-aarch64-linux-gnu) and an arm64 sysroot of Debian packages made by
# scripts/arm64_sysroot.sh. scripts/cross_build.sh does all of it; by hand:
#   scripts/arm64_sysroot.sh build-aarch64/sysroot
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DDPUTK_ARM64_SYSROOT=$PWD/build-aarch64/sysroot -DDPUTK_RUNTIME_ONLY=ON
# For a PetaLinux SDK use the SDK's own toolchain file instead (scripts/cross_build.sh --sdk PATH).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT DPUTK_ARM64_SYSROOT AND DEFINED ENV{DPUTK_ARM64_SYSROOT})
  set(DPUTK_ARM64_SYSROOT "$ENV{DPUTK_ARM64_SYSROOT}")
endif()
if(NOT DPUTK_ARM64_SYSROOT OR NOT EXISTS "${DPUTK_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
  message(FATAL_ERROR "DPUTK_ARM64_SYSROOT='${DPUTK_ARM64_SYSROOT}' is not an arm64 sysroot; make one with "
                      "scripts/arm64_sysroot.sh DIR and pass -DDPUTK_ARM64_SYSROOT=DIR")
endif()
# Try-compiles (FindOpenMP, ...) must see the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES DPUTK_ARM64_SYSROOT)

set(CMAKE_FIND_ROOT_PATH "${DPUTK_ARM64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # protoc runs on the host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(_s "${DPUTK_ARM64_SYSROOT}")
set(CMAKE_C_FLAGS_INIT "-isystem ${_s}/usr/include -isystem ${_s}/usr/include/aarch64-linux-gnu")
set(CMAKE_CXX_FLAGS_INIT "${CMAKE_C_FLAGS_INIT}")
# Shared libraries' own dependencies (OpenCV → libtiff, libgdal, ...) resolve inside the sysroot: every
# directory with libraries, as listed by scripts/arm64_sysroot.sh.
set(_rl "-Wl,-rpath-link,${_s}/usr/lib/aarch64-linux-gnu")
if(EXISTS "${_s}/ld_library_path")
  file(READ "${_s}/ld_library_path" _dirs)
  string(STRIP "${_dirs}" _dirs)
  set(_rl "-Wl,-rpath-link,${_dirs}")
endif()
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_rl}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_rl}")
