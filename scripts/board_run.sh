#!/usr/bin/env bash
# Deploys and runs the resnet50 app on a ZCU102 / KV260 over ssh: copies the app and dpu-preflight, the
# compiled xmodel and the images to the board, runs preflight then the app there, and fetches the log.
#
#   scripts/board_run.sh HOST XMODEL IMAGES [options] [-- APP ARGS...]
#     HOST     user@address of the board (e.g. root@192.168.1.42)
#     XMODEL   compiled model (vai_c_xir output for the board's arch.json)
#     IMAGES   image folder, list file, CIFAR-10 .bin or MNIST idx file
#   options:
#     --bin DIR         where the aarch64 programs are (default build-aarch64-sdk/install/bin, else
#                       build-aarch64/install/bin — scripts/cross_build.sh makes them)
#     --remote-dir DIR  directory on the board, relative to the login's home (default dpu-toolkit)
#     --log FILE        local copy of the board's log (default board_run.log)
#     --force           run the app even when preflight reports a failure
#   APP ARGS go to resnet50 (e.g. -- --labels synset_words.txt --threads 3 --preprocess torchvision).
# ssh/scp come from $SSH / $SCP when set (extra options: SSH="ssh -p 2222").
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
[ $# -ge 1 ] && [[ "$1" == -h || "$1" == --help ]] && { usage; exit 0; }
[ $# -ge 3 ] || { usage >&2; exit 2; }
host=$1 xmodel=$2 images=$3
shift 3
bin="" remote=dpu-toolkit log=board_run.log force=0 app_args=()
while (($#)); do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --remote-dir) remote=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --force) force=1; shift ;;
    --) shift; app_args=("$@"); break ;;
    *) echo "board_run: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
SSH=${SSH:-ssh}
SCP=${SCP:-scp}
if [ -z "$bin" ]; then
  for d in build-aarch64-sdk/install/bin build-aarch64/install/bin; do [ -x "$d/resnet50" ] && { bin=$d; break; }; done
fi
[ -n "$bin" ] && [ -x "$bin/resnet50" ] && [ -x "$bin/dpu-preflight" ] \
  || { echo "board_run: no resnet50 / dpu-preflight in '${bin:-build-aarch64*/install/bin}': run scripts/cross_build.sh first" >&2; exit 2; }
[ -f "$xmodel" ] || { echo "board_run: $xmodel: no such file" >&2; exit 2; }
[ -e "$images" ] || { echo "board_run: $images: no such file or directory" >&2; exit 2; }

model=$(basename "$xmodel")
data=$(basename "$images")
echo "board_run: copying to $host:$remote/"
$SSH "$host" "mkdir -p '$remote/bin'"
$SCP -q "$bin/resnet50" "$bin/dpu-preflight" "$host:$remote/bin/"
$SCP -q "$xmodel" "$host:$remote/$model"
$SCP -q -r "$images" "$host:$remote/$data"
# What the app reads beside a dataset file: MNIST's labels file, a list file's image folder.
if [ -f "$images" ]; then
  dir=$(dirname "$images")
  companions=()
  if [[ "$data" == *images-idx3* ]]; then
    base=${data/images-idx3/labels-idx1}
    base=${base%.gz}
    for c in "$dir/$base" "$dir/$base.gz"; do [ -f "$c" ] && companions+=("$c"); done
  elif [[ "$data" == *.txt ]] && [ -d "$dir/${data%.txt}" ]; then
    companions+=("$dir/${data%.txt}")
  fi
  for c in "${companions[@]}"; do $SCP -q -r "$c" "$host:$remote/$(basename "$c")"; done
fi
for a in "${app_args[@]}"; do  # files named in the app's arguments (--labels words.txt) go too
  if [ -f "$a" ]; then $SCP -q "$a" "$host:$remote/$(basename "$a")"; fi
done
remote_args=""
for a in "${app_args[@]}"; do
  if [ -f "$a" ]; then a=$(basename "$a"); fi
  remote_args+=" '$a'"
done

echo "board_run: running on $host"
set +e
$SSH "$host" "cd '$remote' && {
  echo '== dpu-preflight'; ./bin/dpu-preflight '$model'; pf=\$?
  if [ \$pf -ne 0 ] && [ $force -eq 0 ]; then echo 'board_run: preflight failed; fix the lines above or pass --force'; exit 3; fi
  echo '== resnet50'; ./bin/resnet50 '$model' '$data'$remote_args
} > run.log 2>&1; rc=\$?; cat run.log; exit \$rc"
rc=$?
set -e
$SCP -q "$host:$remote/run.log" "$log" || echo "board_run: could not fetch $remote/run.log" >&2
echo "board_run: log in $log (exit $rc)"
exit $rc
