"""PeleeNet's blocks (Wang et al. 2018, "Pelee: A Real-Time Object Detection System on Mobile Devices",
Sec. 2.1, Fig. 1-2), named as the authors' PyTorch code (Robert-JunWang/PeleeNet ``peleenet.py``):
``PeleeConv`` (``conv`` / ``norm``), the stem block (``stem1``, ``stem2a``, ``stem2b``, ``pool``, ``stem3``)
and the two-way dense layer (``branch1a``/``branch1b``, ``branch2a``/``branch2b``/``branch2c``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PeleeConv(nn.Module):
    """Conv (no bias) -> BatchNorm -> ReLU, children ``conv`` / ``norm`` (the reference's ``BasicConv2d``).
    (B, c1, H, W) -> (B, c2, H / s, W / s) with "same" padding for odd ``k``."""

    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.norm = nn.BatchNorm2d(c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.norm(self.conv(x)))


class StemBlock(nn.Module):
    """Stem block (Fig. 2): 3x3/2 conv to ``c``, then two branches (1x1 to c/2 + 3x3/2 conv to c; 2x2 max
    pool), concatenated and fused by a 1x1 conv. (B, 3, H, W) -> (B, c, H/4, W/4) for even H/2."""

    def __init__(self, c_in: int, c: int) -> None:
        super().__init__()
        self.stem1 = PeleeConv(c_in, c, 3, 2)
        self.stem2a = PeleeConv(c, c // 2, 1)
        self.stem2b = PeleeConv(c // 2, c, 3, 2)
        self.stem3 = PeleeConv(2 * c, c, 1)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem1(x)
        return self.stem3(torch.cat([self.pool(x), self.stem2b(self.stem2a(x))], 1))


class TwoWayDenseLayer(nn.Module):
    """Two-way dense layer (Fig. 1b): a 1x1 bottleneck then one 3x3 conv (receptive field 3) and a 1x1
    bottleneck then two 3x3 convs (receptive field 5), each giving ``growth / 2`` channels, concatenated after
    the input. (B, c1, H, W) -> (B, c1 + growth, H, W). The bottleneck is ``int(growth / 2 * width / 4) * 4``
    channels, capped at about half the input as the reference does."""

    def __init__(self, c1: int, growth: int, bottleneck_width: int) -> None:
        super().__init__()
        half = growth // 2
        inter = int(half * bottleneck_width / 4) * 4
        if inter > c1 / 2:
            inter = int(c1 / 8) * 4
        self.branch1a = PeleeConv(c1, inter, 1)
        self.branch1b = PeleeConv(inter, half, 3)
        self.branch2a = PeleeConv(c1, inter, 1)
        self.branch2b = PeleeConv(inter, half, 3)
        self.branch2c = PeleeConv(half, half, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1b(self.branch1a(x))
        b2 = self.branch2c(self.branch2b(self.branch2a(x)))
        return torch.cat([x, b1, b2], 1)


class PeleeDenseBlock(nn.Sequential):
    """``n`` two-way dense layers named ``denselayer1``... (B, c1, H, W) -> (B, c1 + n * growth, H, W)."""

    def __init__(self, n: int, c1: int, growth: int, bottleneck_width: int) -> None:
        super().__init__()
        for i in range(n):
            self.add_module(f"denselayer{i + 1}", TwoWayDenseLayer(c1 + i * growth, growth, bottleneck_width))
        self.out_channels = c1 + n * growth
