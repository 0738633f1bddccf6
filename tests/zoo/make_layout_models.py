#!/usr/bin/python3
"""Small torch networks with the layout and resampling ops of detection / segmentation necks and
ShuffleNet, exported to ONNX (opset 13) for the zoo tests, with torch's outputs for seeded inputs.

  make_layout_models.py OUTDIR

Writes OUTDIR/<name>.onnx, <name>_ref_input.npy (NCHW, 2 inputs) and <name>_ref_out.npy (torch):
  neck_nearest   YOLO-style neck: strided convs, nn.Upsample(x2, nearest), concat with the skip, convs
  neck_bilinear  the same with a bilinear x2 upsample (align_corners=False, half-pixel) before the head
  neck_align     ... and align_corners=True (DeepLab's resize)
  shuffle_split  average pool without its padding, max pool in ceil mode, then a ShuffleNetV2 unit:
                 channel shuffle (view / transpose / view), chunk, concat, flatten, Linear
  deconv_neck    UNet-style upsampling: ConvTranspose (k4 s2 p1, and k3 s2 p1 output_padding 1), concat
  fc_over_map    VGG's classifier: a Linear over a flattened feature map (a convolution of the map)
  misc_ops       PReLU per channel, element-wise Max of two branches, Tanh, a dilated depthwise conv with a
                 squeeze-and-excitation gate
Input 3x32x32 (CIFAR-10 sized). Random weights with BatchNorm folded into the convolutions by the
export; BatchNorm statistics are re-estimated on random inputs first, so activations keep sane ranges.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def cbr(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Neck(nn.Module):
    def __init__(self, resize=None):
        super().__init__()
        self.resize = resize
        self.c1 = cbr(3, 16)
        self.c2 = cbr(16, 32, s=2)
        self.c3 = cbr(32, 32, s=2)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.c4 = cbr(64, 16, k=1)
        self.head = nn.Conv2d(16, 8, 1)

    def forward(self, x):
        b = self.c2(self.c1(x))
        d = self.c4(torch.cat([self.up(self.c3(b)), b], 1))
        if self.resize is not None:
            d = F.interpolate(d, scale_factor=2, mode="bilinear", align_corners=self.resize == "align")
        return self.head(d)


class ShuffleSplit(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = cbr(3, 32, s=2)
        self.branch = nn.Sequential(cbr(16, 16, k=1),
                                    nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False), nn.BatchNorm2d(16),
                                    cbr(16, 16, k=1))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.c1(x)  # 16 x 16
        x = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)  # borders averaged over fewer values: the CPU
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)  # 8 x 8 (7 with floor)
        a, b = x.chunk(2, dim=1)
        x = torch.cat([a, self.branch(b)], 1)
        n, c, h, w = x.shape
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)  # channel shuffle
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


class MiscOps(nn.Module):
    """PReLU (one slope per channel), an element-wise max of two branches, tanh: CPU ops between DPU ones."""

    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.PReLU(16), nn.Conv2d(16, 16, 3, 2, 1))
        self.b = nn.Conv2d(3, 16, 3, 2, 1)
        self.dw = nn.Conv2d(16, 16, 3, 1, 2, dilation=2, groups=16)
        self.se = nn.Conv2d(16, 16, 1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        y = torch.tanh(torch.maximum(self.a(x), self.b(x)))
        y = self.dw(y) * torch.sigmoid(self.se(F.adaptive_avg_pool2d(y, 1)))  # dilated depthwise, SE gate
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class DeconvNeck(nn.Module):
    """UNet / ENet-style upsampling by transposed convolutions (stride 2, kernel 4 pad 1; kernel 3 with
    output_padding 1), concatenated with the skip."""

    def __init__(self):
        super().__init__()
        self.down1 = cbr(3, 16, s=2)   # 16
        self.down2 = cbr(16, 32, s=2)  # 8
        self.up1 = nn.Sequential(nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU())  # 16
        self.up2 = nn.ConvTranspose2d(32, 8, 3, 2, 1, output_padding=1)  # 32

    def forward(self, x):
        a = self.down1(x)
        return self.up2(torch.cat([self.up1(self.down2(a)), a], 1))


class FcOverMap(nn.Module):
    """VGG's classifier in small: Linear over a flattened 4x4x16 map (NCHW flatten), ReLU, Linear."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(cbr(3, 16, s=2), nn.MaxPool2d(2), cbr(16, 16, s=2))  # 4 x 4
        self.classifier = nn.Sequential(nn.Linear(16 * 4 * 4, 32), nn.ReLU(), nn.Dropout(), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def export(name, model, outdir):
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    model.train()
    with torch.no_grad():
        for _ in range(8):
            model(torch.randn(16, 3, 32, 32))
    model.eval()
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = model(x)
    path = os.path.join(outdir, name + ".onnx")
    torch.onnx.export(model, x[:1], path, input_names=["input"], output_names=["out"], opset_version=13,
                      dynamic_axes={"input": {0: "batch"}, "out": {0: "batch"}}, do_constant_folding=False)
    np.save(os.path.join(outdir, name + "_ref_input.npy"), x.numpy())
    np.save(os.path.join(outdir, name + "_ref_out.npy"), y.numpy())
    print("wrote", path)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    export("neck_nearest", Neck(), outdir)
    torch.manual_seed(0)
    export("neck_bilinear", Neck("half_pixel"), outdir)
    torch.manual_seed(0)
    export("neck_align", Neck("align"), outdir)
    torch.manual_seed(0)
    export("shuffle_split", ShuffleSplit(), outdir)
    torch.manual_seed(0)
    export("misc_ops", MiscOps(), outdir)
    torch.manual_seed(0)
    export("fc_over_map", FcOverMap(), outdir)
    torch.manual_seed(0)
    export("deconv_neck", DeconvNeck(), outdir)


if __name__ == "__main__":
    main()
