#!/usr/bin/env bash
# A stand-in for Xilinx's vai_c_xir in tests: the same flags, UNILOG-style log lines, output files and
# exit codes. It "compiles" by copying $FAKE_VAI_C_XIR_MODEL (a real compiled xmodel).
# FAKE_VAI_C_XIR_MODE: ok (default) | fail | no_output | wrong_count
set -u
x="" a="" o="" n=""
while [ $# -gt 0 ]; do
  case "$1" in
    -x|--xmodel) x=$2; shift 2 ;;
    -a|--arch) a=$2; shift 2 ;;
    -o|--output_dir) o=$2; shift 2 ;;
    -n|--net_name) n=$2; shift 2 ;;
    -e|--options) shift 2 ;;
    *) echo "[UNILOG][FATAL] unknown option $1"; exit 2 ;;
  esac
done
mode=${FAKE_VAI_C_XIR_MODE:-ok}
echo "[UNILOG][INFO] Compile mode: dpu"
echo "[UNILOG][INFO] Debug mode: null"
if [ ! -f "$a" ]; then echo "[UNILOG][FATAL][TARGET_FACTORY_UNREGISTERED_TARGET] cannot read arch $a" >&2; exit 1; fi
echo "[UNILOG][INFO] Target architecture: DPUCZDX8G_ISA1_B4096"
if [ ! -f "$x" ]; then echo "[UNILOG][FATAL][XCOM_INVALID_XMODEL] cannot open $x" >&2; exit 1; fi
echo "[UNILOG][INFO] Graph name: CNN, with op num: 33"
echo "[UNILOG][INFO] Begin to compile..."
if [ "$mode" = fail ]; then
  echo "[UNILOG][FATAL][XCOM_OP_NOT_SUPPORT] xir::Op{name = foo, type = bar} is not supported" >&2
  exit 1
fi
mkdir -p "$o"
if [ "$mode" != no_output ]; then cp "$FAKE_VAI_C_XIR_MODEL" "$o/$n.xmodel"; fi
if [ "$mode" = wrong_count ]; then
  echo "[UNILOG][INFO] Total device subgraph number 4, DPU subgraph number 2"
else
  echo "[UNILOG][INFO] Total device subgraph number 3, DPU subgraph number 1"
fi
echo "[UNILOG][INFO] Compile done."
printf '{"lib": "libvart-dpu-runner.so", "filename": "%s.xmodel", "kernel": [], "target": "DPUCZDX8G_ISA1_B4096"}\n' "$n" > "$o/meta.json"
echo "[UNILOG][INFO] The meta json is saved to \"$o/meta.json\""
if [ -f "$o/$n.xmodel" ]; then
  md5sum "$o/$n.xmodel" | cut -d' ' -f1 > "$o/md5sum.txt"
  echo "[UNILOG][INFO] The compiled xmodel is saved to \"$o/$n.xmodel\""
fi
exit 0
