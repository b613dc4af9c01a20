#!/usr/bin/python3
"""vision_torch.py — PyTorch's side of tests/bench/vision/vision: the same
reference net as vision_bench.c (conv3x3 32, 32, maxpool, 64, 64, maxpool,
each conv followed by batch norm and ReLU, global average pool, dense 10) on
the same first N Fashion-MNIST training images, batch 128, AdamW (lr 1e-3,
weight decay 1e-4), 2 threads.  Prints "epoch_seconds S" per epoch and
"train_loss L" after the last, as the C side does.

Usage: vision_torch.py DIR N REPEAT"""
import gzip, os, sys, time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as fp:
        data = fp.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


def load_train(folder, n):
    """The first n Fashion-MNIST training images (N x 1 x 28 x 28 floats) and labels."""
    name = lambda stem: os.path.join(folder, stem + (".gz" if os.path.exists(
        os.path.join(folder, stem + ".gz")) else ""))
    x = read_idx(name("train-images-idx3-ubyte"))[:n].astype(np.float32) / 255.0
    y = read_idx(name("train-labels-idx1-ubyte"))[:n].astype(np.int64)
    return torch.from_numpy(x).reshape(-1, 1, 28, 28), torch.from_numpy(y)


def time_epochs(net, x, y, repeat):
    """Trains `repeat` epochs (batch 128, AdamW lr 1e-3, weight decay 1e-4),
    printing each epoch's seconds, then the last epoch's mean loss."""
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    net.train()
    for _ in range(repeat):
        t0 = time.perf_counter()
        order, total = torch.randperm(len(y)), 0.0
        for at in range(0, len(y), 128):
            idx = order[at:at + 128]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print("epoch_seconds %.3f" % (time.perf_counter() - t0), flush=True)
    print("train_loss %.4f\nimages %d" % (total / len(y), len(y)))


def main():
    folder, n, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(2)
    torch.manual_seed(1)
    x, y = load_train(folder, n)
    net = nn.Sequential(*conv_bn_relu(1, 32), *conv_bn_relu(32, 32), nn.MaxPool2d(2),
                        *conv_bn_relu(32, 64), *conv_bn_relu(64, 64), nn.MaxPool2d(2),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    time_epochs(net, x, y, repeat)


if __name__ == "__main__":
    main()
