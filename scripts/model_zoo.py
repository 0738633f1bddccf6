#!/usr/bin/python3
"""Model zoo: every network from ONNX to the emulated DPU, one row each (a benchmark, not a test).

  scripts/model_zoo.py [--models resnet18,mobilenet_v2,...,path/net.onnx] [--out DIR] [--images N]
                       [--size N] [--bench-seconds S] [--build build] [--no-ort]

For each torchvision architecture (seeded weights; classification 224x224, inception_v3 299,
segmentation 256) and the real DeepLabV3 of ../shared/data/segmentation:
  export (scripts/export_torchvision.py) → dpu-inspect (placement, MAC share, CPU ops and why) →
  dpu-quantize calib (N images of ../shared/data/imagenet/val_500) → test --compare_float on N other
  images (float↔int8 agreement and SQNR) → test --deploy on one image (the quantizer's integer
  outputs) → dpu-compile for KV260 → dpu-run on that image's input: output bytes == test mode →
  dpu-run --bench next to ONNX Runtime fp32 on the same ONNX file, same run (../shared/bench).
A model given as a path to an .onnx file is taken as it is (32x32 inputs: CIFAR-10 images and
preprocessing; others: ImageNet). --size N exports the torchvision networks at N x N instead (a
quick run). Prints a Markdown table and writes DIR/zoo.json. Needs python3-torch/torchvision/onnx (export) and,
for the ORT column, ../shared/bench set up (node + onnxruntime-node; bash ../shared/bench/setup.sh).
"""
import argparse
import filecmp
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
VAL = os.path.join(SHARED, "data", "imagenet", "val_500")
VAL_LIST = os.path.join(SHARED, "data", "imagenet", "val_500.txt")
DEEPLAB = os.path.join(SHARED, "data", "segmentation", "deeplabv3_mnv2_dm05_pascal_quant_dequant.onnx")
CIFAR = os.path.join(SHARED, "data", "cifar10", "test_batch.bin")
SIZE_OVERRIDE = None  # --size

CLASSIFICATION = ["resnet18", "resnet50", "resnext50_32x4d", "vgg11", "alexnet", "squeezenet1_1", "mobilenet_v2",
                  "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "regnet_x_400mf",
                  "shufflenet_v2_x1_0", "mnasnet0_5", "googlenet", "densenet121", "inception_v3"]
SEGMENTATION = ["lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large", "fcn_resnet50"]
DETECTION = ["ssdlite320_mobilenet_v3_large"]
REAL = ["deeplabv3_mnv2_pascal"]  # the shared real network
# NAME+hswish: quantized with vai_q's convert_silu_to_hswish (SiLU → hard-swish: another function, on the DPU)
VARIANTS = ["efficientnet_b0+hswish"]
ALL = CLASSIFICATION + SEGMENTATION + DETECTION + REAL + VARIANTS


def base_of(model):
    return model.split("+")[0]


def is_file(model):
    return model.endswith(".onnx")


def name_of(model):
    return os.path.splitext(os.path.basename(model))[0] if is_file(model) else model


def onnx_input_size(path):
    import onnx  # python3-onnx
    dims = onnx.load(path, load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    return dims[2].dim_value


def input_size(model):
    model = base_of(model)
    if is_file(model):
        return onnx_input_size(model)
    if SIZE_OVERRIDE and model not in REAL:
        return SIZE_OVERRIDE
    if model == "inception_v3":
        return 299
    if model in SEGMENTATION:
        return 256
    if model in DETECTION:
        return 320
    if model in REAL:
        return 513
    return 224


def data_flags(model):
    """Where the images come from and how they are preprocessed."""
    size = input_size(model)
    if is_file(model) and size == 32:
        return ["--data_dir", CIFAR, "--preprocess", "cifar"]
    data = ["--data_dir", VAL, "--val_list", VAL_LIST]
    if model in REAL:  # DeepLab: x = (p - 128) / 128 on 513 x 513
        return data + ["--preprocess", "deeplab"]
    return data + ["--preprocess", "torchvision", "--resize", str(size * 256 // 224), "--crop", str(size)]


def run(cmd, log, timeout=3600):
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        f.write(p.stdout)
    if p.returncode != 0:
        last = [l for l in p.stdout.splitlines() if l.strip()][-1:] or ["(no output)"]
        raise RuntimeError(f"{os.path.basename(cmd[0])} failed: {last[0][:300]}")
    return p.stdout


def ort_ips(onnx_path, shape, seconds):
    """ONNX Runtime fp32 images/s on the same file (bench/ort_model_ips.js with ../shared/bench's node)."""
    env_sh = os.path.join(SHARED, "bench", "env.sh")
    if not os.path.exists(env_sh):
        return None
    js = os.path.join(ROOT, "bench", "ort_model_ips.js")
    script = (f'source "{env_sh}"; NODE_PATH="$NODE_DIR/node_modules" node "{js}" "{onnx_path}" '
              f'{",".join(map(str, shape))} --threads "$THREADS" --min-seconds {seconds}')
    p = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        return float(json.loads(p.stdout.splitlines()[0])["ips"])
    except (ValueError, IndexError, KeyError):
        return None


def one_model(model, args, bindir):
    name = name_of(model).replace("+", "_")
    d = os.path.join(args.out, name)
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, "log.txt")
    open(log, "w").close()
    row = {"model": name, "status": "ok"}
    onnx_path = os.path.join(args.out, base_of(model), base_of(model) + ".onnx")
    os.makedirs(os.path.dirname(onnx_path), exist_ok=True)
    config = []
    if model.endswith("+hswish"):
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"target_device": "DPU", "convert_silu_to_hswish": True}, f)
        config = ["--config_file", os.path.join(d, "config.json")]
    if is_file(model):
        onnx_path = os.path.abspath(model)
    elif model in REAL:
        onnx_path = DEEPLAB
    elif not os.path.exists(onnx_path):
        run(["/usr/bin/python3", os.path.join(HERE, "export_torchvision.py"), "--model", base_of(model), "--input-size",
             str(input_size(model)), "--output", onnx_path, "--seed", "1"], log)
    arch = os.path.join(ROOT, "board", "kv260", "arch.json")
    inspect_json = os.path.join(d, "inspect.json")
    run([os.path.join(bindir, "dpu-inspect"), onnx_path, "-a", arch, "--json", inspect_json] + config, log)
    ins = json.load(open(inspect_json))
    row["dpu_subgraphs"] = ins["dpu_subgraph_number"]
    row["dpu_mac_share"] = ins["dpu_mac_share"]
    cpu = {}
    for n in ins["nodes"]:
        if n["device"] == "CPU":
            why = n.get("reason", n.get("dpu_op", ""))
            cpu.setdefault(n["type"], why)
    row["cpu_ops"] = cpu
    qdir = os.path.join(d, "quantize_result")
    q = [os.path.join(bindir, "dpu-quantize"), "--model", onnx_path, "--output_dir", qdir] + data_flags(model) + config
    out = run(q + ["--quant_mode", "calib", "--subset_len", str(args.images)], log)
    m = re.search(r"1x1 weight fix points: (input energy|diffs) \(auto", out)
    if m:
        row["pointwise_weights"] = m.group(1)  # the 1x1 convolutions' weight fix point criterion the trial chose
    out = run(q + ["--quant_mode", "test", "--subset_len", str(args.images), "--skip", str(args.images), "--compare_float"], log)
    m = re.search(r"(top-1|per-pixel label) agreement: ([0-9.]+)%.*SQNR: (-?[0-9.]+) dB", out)
    if m:
        row["agreement"] = float(m.group(2))
        row["agreement_kind"] = "pixels" if m.group(1) != "top-1" else "top-1"
        row["sqnr_db"] = float(m.group(3))
    out = run(q + ["--quant_mode", "test", "--subset_len", "1", "--batch_size", "1", "--deploy"], log)
    xmodel = re.search(r"Deploy: (\S+)", out).group(1)
    dump = re.search(r"Deploy check data: \d+ tensors in (\S+)", out).group(1)
    cdir = os.path.join(d, "compiled")
    run([os.path.join(bindir, "dpu-compile"), "-x", xmodel, "-a", arch, "-o", cdir, "-n", name], log)
    compiled = os.path.join(cdir, name + ".xmodel")
    # The compiled model's input is the quantizer's input fix; dpu-run wants <tensor>.bin per input.
    ind, outd = os.path.join(d, "emu_in"), os.path.join(d, "emu_out")
    os.makedirs(ind, exist_ok=True)
    for f in os.listdir(ind):
        os.remove(os.path.join(ind, f))
    err = subprocess.run([os.path.join(bindir, "dpu-run"), compiled, ind, outd], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    for name in re.findall(r"/([^/\s]+)\.bin: file not found", err):
        src = os.path.join(dump, name + "_fix.bin")  # the int8 dump of the input's fix op
        os.link(src, os.path.join(ind, name + ".bin")) if not os.path.exists(os.path.join(ind, name + ".bin")) else None
    out = run([os.path.join(bindir, "dpu-run"), compiled, ind, outd], log)
    same, compared = 0, 0
    for f in sorted(os.listdir(outd)):
        ref = os.path.join(dump, f[:-len("_.bin")] + ".bin") if f.endswith("_.bin") else os.path.join(dump, f)
        if os.path.exists(ref):
            compared += 1
            same += filecmp.cmp(os.path.join(outd, f), ref, shallow=False)
    row["emulator_equals_test"] = compared > 0 and same == compared
    row["outputs_compared"] = compared
    out = run([os.path.join(bindir, "dpu-run"), compiled, "--bench", str(args.bench_seconds), "--threads", "2"], log)
    m = re.search(r"([0-9.]+) images/s", out)
    row["emu_ips"] = float(m.group(1)) if m else None
    row["ort_fp32_ips"] = None if args.no_ort else ort_ips(onnx_path, [1, 3, input_size(model), input_size(model)], args.bench_seconds)
    return row


def fmt(row):
    if row["status"] != "ok":
        return f"| {row['model']} | – | – | {row['status']} | – | – | – | – |"
    cpu = "; ".join(f"{t}: {why}" for t, why in row["cpu_ops"].items()) or "–"
    agree = f"{row.get('agreement', float('nan')):.1f}% {row.get('agreement_kind', '')}, {row.get('sqnr_db', float('nan')):.1f} dB"
    emu, ort = row.get("emu_ips"), row.get("ort_fp32_ips")
    speed = f"{emu:.1f}" if emu else "–"
    if emu and ort:
        speed += f" / {ort:.1f} (×{emu / ort:.2f})"
    exact = "yes" if row["emulator_equals_test"] else f"NO ({row['outputs_compared']} outputs)"
    return (f"| {row['model']} | {row['dpu_subgraphs']} | {100 * row['dpu_mac_share']:.1f}% | {cpu} | {exact} | "
            f"{agree} | {speed} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(ALL), help="comma-separated (default: all %d)" % len(ALL))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "zoo"))
    ap.add_argument("--images", type=int, default=4, help="calibration images, and as many test images")
    ap.add_argument("--size", type=int, help="export the torchvision networks at N x N (default 224 / 299 / 256 / 320)")
    ap.add_argument("--bench-seconds", type=float, default=3.0)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--no-ort", action="store_true", help="skip the ONNX Runtime column")
    args = ap.parse_args()
    global SIZE_OVERRIDE
    SIZE_OVERRIDE = args.size
    bindir = os.path.join(args.build, "bin")
    models = [m for m in args.models.split(",") if m]
    rows = []
    for i, model in enumerate(models):
        t0 = time.time()
        print(f"[{i + 1}/{len(models)}] {model} ...", file=sys.stderr, flush=True)
        try:
            row = one_model(model, args, bindir)
        except Exception as e:  # one model's failure is a row of the table, not the end of the run
            row = {"model": name_of(model), "status": f"FAILED: {e}"}
        row["seconds"] = round(time.time() - t0, 1)
        rows.append(row)
        print(f"    {row['status']} ({row['seconds']} s)", file=sys.stderr, flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "zoo.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print("| model | DPU subgraphs | MACs on DPU | on the CPU (why) | emulator == test mode | float↔int8 agreement, SQNR "
          "| emulated img/s / ORT fp32 img/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(fmt(r))
    return 0 if all(r["status"] == "ok" and r["emulator_equals_test"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
