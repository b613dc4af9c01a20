#!/usr/bin/python3
"""nas_torch.py — PyTorch's side of tests/bench/vision/nas_bench.c: the
architecture the search found, built from its JSON description as
engine/nn/nn_arch.c builds it, trained on the same first N Fashion-MNIST
training images, batch 128, AdamW (lr 1e-3, weight decay 1e-4), 2 threads.
Prints "weights W", then "epoch_seconds S" per epoch and "train_loss L" after
the last.

The net: stem conv3x3-BN-ReLU; per stage its blocks (plain: conv-BN-ReLU;
residual: conv-BN-ReLU-conv-BN + shortcut (identity, or a 1x1 conv with the
block's stride when the shape changes), then ReLU; separable: depthwise
kxk-BN-ReLU, pointwise 1x1-BN-ReLU); every stage after the first halves the
size first (2x2 max pool, or stride 2 in its first block); head: global
average pool, dropout, dense.  Convolutions have no bias (batch norm follows).

Usage: nas_torch.py DIR N REPEAT JSON
  JSON: {"stem": 32, "pool": "max"|"stride", "dropout": 0.1,
         "stages": [{"blocks": 1, "width": 32, "kernel": 3,
                     "block": "plain"|"residual"|"separable"}, ...]}"""
import json, os, sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vision_torch import load_train, time_epochs  # noqa: E402  (the same data and loop)


def conv_bn(cin, cout, k, stride=1, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout, momentum=0.1, eps=1e-5)]
    return layers + [nn.ReLU()] if relu else layers


class Residual(nn.Module):
    def __init__(self, cin, cout, k, stride):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, cout, k, stride),
                                  *conv_bn(cout, cout, k, relu=False))
        self.shortcut = (nn.Conv2d(cin, cout, 1, stride=stride, bias=False)
                         if cin != cout or stride != 1 else nn.Identity())

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def block(kind, cin, cout, k, stride):
    if kind == "plain":
        return conv_bn(cin, cout, k, stride)
    if kind == "residual":
        return [Residual(cin, cout, k, stride)]
    if kind == "separable":
        return conv_bn(cin, cin, k, stride, groups=cin) + conv_bn(cin, cout, 1)
    raise ValueError("unknown block kind %r" % kind)


def build(arch, channels=1, classes=10):
    layers, c = conv_bn(channels, arch["stem"], 3), arch["stem"]
    pool_max = arch["pool"] == "max"
    for i, st in enumerate(arch["stages"]):
        if i > 0 and pool_max:
            layers.append(nn.MaxPool2d(2))
        for b in range(st["blocks"]):
            stride = 2 if i > 0 and not pool_max and b == 0 else 1
            layers += block(st["block"], c, st["width"], st["kernel"], stride)
            c = st["width"]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if arch["dropout"] > 0:
        layers.append(nn.Dropout(arch["dropout"]))
    return nn.Sequential(*layers, nn.Linear(c, classes))


def main():
    folder, n, repeat, arch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(
        sys.argv[4])
    torch.set_num_threads(2)
    torch.manual_seed(1)
    x, y = load_train(folder, n)
    net = build(arch)
    print("weights %d" % sum(p.numel() for p in net.parameters()), flush=True)
    time_epochs(net, x, y, repeat)


if __name__ == "__main__":
    main()
