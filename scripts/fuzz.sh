#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS (clang, ASan + UBSan), seeded from ../shared/data.
#   scripts/fuzz.sh TARGET SECONDS      TARGET: xmodel | onnx | image | dataset | config
# Builds into build-fuzz/ (clang-14; installs clang and libclang-rt-14-dev if missing). The corpus grows
# in build-fuzz/corpus/TARGET; crashing inputs land in build-fuzz/artifacts/TARGET/ (turn them into
# regression tests). Prints libFuzzer's final statistics: runs (exec count), corpus, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh xmodel|onnx|image|dataset|config SECONDS}
secs=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
case "$target" in xmodel|onnx|image|dataset|config) ;; *) echo "fuzz: unknown target '$target'" >&2; exit 2 ;; esac
data=${DPU_SHARED_DATA:-$PWD/../shared/data}
[ -d "$data" ] || { echo "fuzz: $data not found (set DPU_SHARED_DATA)" >&2; exit 2; }

if ! command -v clang++-14 > /dev/null || [ ! -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev libomp-14-dev
fi
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDPUTK_FUZZ=ON \
    -DDPUTK_WITH_TORCHSCRIPT=OFF > build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
fi
cmake --build build-fuzz -j2 --target "fuzz_$target"

corpus=build-fuzz/corpus/$target seeds=build-fuzz/seeds/$target art=build-fuzz/artifacts/$target
mkdir -p "$corpus" "$seeds" "$art"
maxlen=65536
case "$target" in
  xmodel) cp "$data"/xmodels/*/*.xmodel "$seeds/"; maxlen=1048576 ;;
  onnx)   cp "$data"/cifar10/resnet20.onnx "$seeds/"  # plus a small model with every op the importer converts
          /usr/bin/python3 tests/fuzz/make_onnx_seed.py "$seeds/all_ops.onnx"; maxlen=1200000 ;;
  image)  ls -S "$data"/imagenet/val_500/*.JPEG | tail -4 | xargs -I{} cp {} "$seeds/"
          python3 -c "
import struct, zlib, sys
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
raw = b''.join(b'\x00' + bytes([(x * 7 + y * 3) % 256 for x in range(3 * 24)]) for y in range(20))
sys.stdout.buffer.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 24, 20, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
" > "$seeds/small.png"
          maxlen=262144 ;;
  dataset) { printf '\x00'; head -c $((3073 * 2)) "$data/cifar10/test_batch.bin"; } > "$seeds/cifar"
           { printf '\x01\x00\x30'; printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x08'; head -c 32 /dev/zero;
             printf '\x00\x00\x08\x01\x00\x00\x00\x01\x07'; } > "$seeds/mnist"
           { printf '\x02'; head -5 "$data/imagenet/val_500.txt"; } > "$seeds/list" ;;
  config) printf '%s' '{"convert_relu6_to_relu": false, "include_cle": true, "include_bias_corr": true, "target_device": "DPU", "quantizable_data_type": ["input", "weights", "bias", "activation"], "overall_quantize_config": {"datatype": "int", "bit_width": 8, "method": "diffs", "round_mode": "half_even", "symmetry": true, "per_channel": false, "signed": true, "narrow_range": false, "scale_type": "poweroftwo", "calib_statistic_method": "max"}, "tensor_quantize_config": {"activation": {"method": "percentile", "percentage": 99.99, "round_mode": "half_up"}}, "layer_quantize_config": []}' > "$seeds/full.json"
          printf '%s' '{"target_device": "DPU", "tensor_quantize_config": {"weights": {"method": "maxmin"}}}' > "$seeds/small.json" ;;
esac

echo "fuzz: fuzz_$target for $secs s (corpus $corpus, seeds $seeds)"
set +e
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  build-fuzz/bin/fuzz_$target "$corpus" "$seeds" -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 \
  -max_len=$maxlen -artifact_prefix="$art/" -print_final_stats=1 2>&1 | tee "build-fuzz/fuzz_$target.log" \
  | grep --line-buffered -E "^(#[0-9]+ +(INITED|DONE|pulse)|stat::|Done |==[0-9]+==ERROR|SUMMARY|Test unit written)"
status=${PIPESTATUS[0]}
set -e
echo "fuzz: fuzz_$target exit $status; full log build-fuzz/fuzz_$target.log"
exit "$status"
