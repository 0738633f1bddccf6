#!/usr/bin/env bash
# Makes an arm64 sysroot for cross-building the runtime with Debian's aarch64 toolchain
# (g++-aarch64-linux-gnu): downloads the arm64 builds of the libraries the runtime links (protobuf,
# glog, oneDNN, OpenCV core/imgproc/imgcodecs, zlib) with everything they depend on, and unpacks them
# into DIR with dpkg -x. Nothing is installed on the host (arm64 -dev packages are not all
# co-installable with the amd64 ones), except that apt learns the arm64 architecture.
#   usage: scripts/arm64_sysroot.sh DIR
set -euo pipefail
out=${1:?usage: scripts/arm64_sysroot.sh DIR}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Headers and link-time files, and the runtime libraries whose dependency closure is needed.
dev=(libprotobuf-dev libgoogle-glog-dev libgflags-dev libunwind-dev libdnnl-dev zlib1g-dev
     libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev)
runtime=(libprotobuf32 libgoogle-glog0v6 libdnnl2 libopencv-imgcodecs406 zlib1g)
indep=(nlohmann-json3-dev libcli11-dev)  # header-only, architecture-independent
want="${dev[*]} ${runtime[*]} ${indep[*]}"
if [ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$want" ]; then
  echo "arm64 sysroot: $out is ready"
  exit 0
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64 || ! apt-cache show libdnnl2:arm64 > /dev/null 2>&1; then
  echo "arm64 sysroot: adding the arm64 architecture to apt"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -q
fi

closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
            $(printf '%s:arm64 ' "${runtime[@]}") | grep -E '^[a-z0-9].*:arm64$' | sort -u \
          | grep -vE '^(libc6|libgcc-s1|libstdc\+\+6|libgomp1):')
# (The C/C++ runtime comes from the cross toolchain, at link time and under qemu: ld.so and libc.so must be
# one build, so the sysroot carries no second copy.)
debs="$out.debs"
mkdir -p "$debs"
echo "arm64 sysroot: downloading $(echo "$closure" | wc -l) runtime packages + ${#dev[@]} -dev packages"
(cd "$debs" && apt-get download -q $closure $(printf '%s:arm64 ' "${dev[@]}") "${indep[@]}" > ../apt-download.log 2>&1) \
  || { cat "$debs/../apt-download.log"; exit 1; }

rm -rf "$out" "$debs"/libc6_* "$debs"/libgcc-s1_* "$debs"/libstdc++6_* "$debs"/libgomp1_*
mkdir -p "$out"
for d in "$debs"/*.deb; do dpkg -x "$d" "$out"; done
# Absolute symlinks (libz.so -> /lib/aarch64-linux-gnu/libz.so.1.2.13) must point into the sysroot.
find "$out" -type l -lname '/*' | while read -r l; do ln -sfn "$out$(readlink "$l")" "$l"; done
# Debian selects BLAS/LAPACK through update-alternatives, which dpkg -x does not run.
libdir="$out/usr/lib/aarch64-linux-gnu"
for f in "$libdir"/blas/lib*.so.* "$libdir"/lapack/lib*.so.*; do
  [ -e "$f" ] && [ ! -e "$libdir/$(basename "$f")" ] && ln -s "$f" "$libdir/$(basename "$f")"
done
# Every directory holding shared libraries (some live outside the multiarch dir: /usr/lib, hdf5/serial,
# ...), for the linker (-rpath-link, cmake/toolchains/aarch64-linux-gnu.cmake) and for running under qemu.
find "$out" -name 'lib*.so*' \( -type f -o -type l \) -printf '%h\n' | sort -u | paste -sd: > "$out/ld_library_path"
echo "$want" > "$out/.complete"
echo "arm64 sysroot: $out ($(du -sh "$out" | cut -f1))"
