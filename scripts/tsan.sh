#!/usr/bin/env bash
# Thread safety of the emulator's runners under ThreadSanitizer (clang-14, -fsanitize=thread):
#  1. runtime_tests — among them several vart::Runner objects in 4 threads on one graph, whose outputs
#     must equal a single runner's on 2000 MNIST images, and the graph runner;
#  2. dpu-run --bench with 2 runner threads on vai_q's CIFAR ResNet-20, compiled by dpu-compile
#     (convolutions, eltwise adds, pooling, CPU subgraphs), five short runs.
# Any data race report fails the script (halt_on_error). Third-party runtimes are not TSan-instrumented:
# OpenMP runs one thread (OMP_NUM_THREADS=1), and accesses made inside oneDNN / libomp (through
# intercepted memcmp, mutexes, ...) are ignored (ignore_noninstrumented_modules=1): they synchronize
# through atomics and futexes TSan cannot see (e.g. oneDNN's primitive cache hands a primitive one
# thread is creating to another through a shared_future). Everything of ours is instrumented; the
# threads under test are the runners' own. Builds into build-tsan/.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DPU_SHARED_DATA:-$PWD/../shared/data}
if ! command -v clang++-14 > /dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev libomp-14-dev
fi
if [ ! -f build-tsan/build.ninja ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDPUTK_WITH_TORCHSCRIPT=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
    -DDPU_SHARED_DATA="$data" > build-tsan.log 2>&1 || { cat build-tsan.log; exit 1; }
fi
cmake --build build-tsan -j2 --target runtime_tests dpu-run dpu-compile
export OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1"

echo "tsan: runtime_tests"
set +e
build-tsan/bin/runtime_tests > build-tsan/runtime_tests.log 2>&1
rc=$?
set -e
grep -E "^\[ *(OK|FAILED|PASSED) |WARNING: ThreadSanitizer|SUMMARY" build-tsan/runtime_tests.log || true
[ "$rc" -eq 0 ] || { echo "tsan: runtime_tests failed (exit $rc; build-tsan/runtime_tests.log)"; exit 1; }

echo "tsan: dpu-run, 2 runner threads, vai_q's CIFAR ResNet-20"
work=build-tsan/work
rm -rf "$work" && mkdir -p "$work/in"
build-tsan/bin/dpu-compile -x "$data/xmodels/cifar_resnet20_vaiq/CifarResNet_int.xmodel" -a board/kv260/arch.json \
  -o "$work/compiled" -n resnet20 --backend builtin > "$work/compile.log" 2>&1 || { cat "$work/compile.log"; exit 1; }
# Several short runs: the riskiest moment is the first batch, when both threads build their kernels.
for round in 1 2 3 4 5; do
  set +e
  build-tsan/bin/dpu-run "$work/compiled/resnet20.xmodel" --bench 4 --batch 2 --threads 2 > "$work/bench$round.log" 2>&1
  rc=$?
  set -e
  grep -E "throughput|WARNING: ThreadSanitizer|SUMMARY" "$work/bench$round.log" || true
  [ "$rc" -eq 0 ] || { echo "tsan: dpu-run --bench failed (exit $rc; $work/bench$round.log)"; exit 1; }
done
echo "tsan: no data races reported"
