#!/usr/bin/python3
"""Export a torchvision model to ONNX for dpu-toolkit.

  scripts/export_torchvision.py --model resnet50 --output resnet50.onnx [--weights resnet50.pth] [--seed N]
                                [--input-size N]

--model takes any torchvision constructor by name: classification (torchvision.models: resnet50,
inception_v3 with --input-size 299, ...), segmentation (torchvision.models.segmentation:
deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large, fcn_resnet50, ...: the "out" score map) and
detection models with a backbone + head (torchvision.models.detection: ssdlite320_mobilenet_v3_large,
ssd300_vgg16, retinanet_resnet50_fpn, fcos_resnet50_fpn: the head's raw outputs, without the
post-processing — anchors decoding and NMS run on the CPU after the DPU).

With --weights, the state dict of a trained model (e.g. torchvision's resnet50-0676ba61.pth) is loaded.
Without it the network gets seeded random weights, and BatchNorm statistics are re-estimated on random
inputs so that activations have trained-like ranges; such a model is fine for speed and for checking
that the toolkit reproduces torch, but its accuracy is meaningless (a loud note says so).

--reference N also writes <output>_ref_input.npy (N preprocessed-size random-but-seeded inputs, NCHW)
and <output>_ref_logits.npy (torch's logits for them), used by the tests to hold our float engine to
torch's numbers. Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import torch
import torchvision


class SegmentationOut(torch.nn.Module):
    """A segmentation model's "out" score map (the dict's auxiliary head left out)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


class DetectionHead(torch.nn.Module):
    """A detector's backbone + head, its raw outputs (box regression, class logits[, centerness])."""

    def __init__(self, model):
        super().__init__()
        self.backbone, self.head = model.backbone, model.head

    def forward(self, x):
        features = self.backbone(x)
        features = list(features.values()) if isinstance(features, dict) else [features]
        out = self.head(features)
        return tuple(out[k] for k in sorted(out))


def constructor(name):
    """(kind, constructor) of a torchvision model by name."""
    for kind, module in (("classification", torchvision.models), ("segmentation", torchvision.models.segmentation),
                         ("detection", torchvision.models.detection)):
        ctor = getattr(module, name, None)
        if callable(ctor) and name[0].islower():
            return kind, ctor
    sys.exit(f"export_torchvision: unknown torchvision model '{name}' (a classification, segmentation or detection constructor)")


def build(name, weights, seed, size=224):
    kind, ctor = constructor(name)
    torch.manual_seed(seed)
    kwargs = {"weights": None}
    if kind in ("segmentation", "detection"):
        kwargs["weights_backbone"] = None
    if name in ("inception_v3", "googlenet"):
        kwargs["init_weights"] = True
    model = ctor(**kwargs)
    if weights:
        if not os.path.isfile(weights):
            sys.exit(f"export_torchvision: {weights}: weights file not found")
        state = torch.load(weights, map_location="cpu")
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        try:
            model.load_state_dict(state)
        except RuntimeError as e:
            sys.exit(f"export_torchvision: {weights}: does not fit torchvision {name}: {e}")
    else:
        print("=" * 78, file=sys.stderr)
        print(f"NOTE: no --weights given: {name} gets RANDOM weights (seed {seed}).", file=sys.stderr)
        print("      Fine for speed and float-vs-torch checks; its accuracy is meaningless.", file=sys.stderr)
        print("=" * 78, file=sys.stderr)
        bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the passes below
        model.train()
        gen = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for _ in range(2):
                x = torch.randn(8, 3, size, size, generator=gen)
                if kind == "detection":
                    DetectionHead(model)(x)  # the detector's own forward wants targets in training mode
                else:
                    model(x)
    model.eval()
    if kind == "segmentation":
        return SegmentationOut(model)
    if kind == "detection":
        if not (hasattr(model, "backbone") and hasattr(model, "head")):
            sys.exit(f"export_torchvision: {name} has no backbone + head to export (SSD, SSDlite, RetinaNet and FCOS do)")
        return DetectionHead(model)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--output", required=True)
    ap.add_argument("--weights")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--input-size", "--size", dest="size", type=int, default=224,
                    help="input height and width (inception_v3: 299; segmentation nets take others)")
    ap.add_argument("--reference", type=int, default=0, metavar="N")
    a = ap.parse_args()

    model = build(a.model, a.weights, a.seed, a.size)
    x = torch.randn(1, 3, a.size, a.size)
    out_dir = os.path.dirname(os.path.abspath(a.output))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=out_dir)
    os.close(fd)
    try:
        with torch.no_grad():
            outs = model(x)
        names = ["logits"] if isinstance(outs, torch.Tensor) else [f"output{i}" for i in range(len(outs))]
        dynamic = {"input": {0: "N"}}
        dynamic.update({n: {0: "N"} for n in names})
        torch.onnx.export(model, x, tmp, opset_version=a.opset, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL, input_names=["input"], output_names=names,
                          dynamic_axes=dynamic)
        import onnx
        m = onnx.load(tmp)
        onnx.checker.check_model(m)
        os.replace(tmp, a.output)  # atomic: the output appears whole or not at all
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    ops = sorted({n.op_type for n in m.graph.node})
    print(f"wrote {a.output}: {len(m.graph.node)} nodes, ops {', '.join(ops)}")

    if a.reference > 0:
        gen = torch.Generator().manual_seed(a.seed + 2)
        ref_in = torch.randn(a.reference, 3, a.size, a.size, generator=gen)
        with torch.no_grad():
            ref_out = model(ref_in)
        if not isinstance(ref_out, torch.Tensor):
            ref_out = ref_out[0]
        stem = os.path.splitext(a.output)[0]
        np.save(stem + "_ref_input.npy", ref_in.numpy().astype(np.float32))
        np.save(stem + "_ref_logits.npy", ref_out.numpy().astype(np.float32))
        print(f"wrote {stem}_ref_input.npy and {stem}_ref_logits.npy ({a.reference} inputs)")


if __name__ == "__main__":
    main()
