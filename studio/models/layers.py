"""Shared convolution blocks of the one-stage detectors: Conv (Conv2d + BN + activation, BN foldable),
depthwise-separable conv, SPPF, the ELAN block. All take and return (B, C, H, W) float feature maps.

``fuse()`` on any block here folds its BatchNorms into the convs in place (eval-mode outputs unchanged,
idempotent); ``Detector.fuse()`` calls it on every block that has one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from studio.errors import ConfigError

ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "none": nn.Identity}


def make_divisible(channels: float, divisor: int = 8) -> int:
    """The nearest multiple of ``divisor`` at or above ``channels`` (channel counts of scaled models)."""
    return max(divisor, int(math.ceil(channels / divisor) * divisor))


def scaled_depth(base: int, depth: float, minimum: int = 1) -> int:
    """How many repeats a block of ``base`` repeats has at depth multiplier ``depth``."""
    return max(minimum, round(base * depth))


def activation(name: str) -> nn.Module:
    """A fresh activation module by name: silu | relu | none."""
    if name not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def resize_to(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """``x`` (B, C, h, w) resized (nearest) to the spatial size of ``ref``; returned as is when equal (when
    tracing for export, always resized: the sizes then follow the input's)."""
    if not torch.jit.is_tracing() and x.shape[-2:] == ref.shape[-2:]:
        return x
    return F.interpolate(x, size=ref.shape[-2:], mode="nearest")


def fold_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A new Conv2d with bias equal to ``bn(conv(x))`` in eval mode (BN running statistics folded in)."""
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                      conv.dilation, conv.groups, bias=True).to(conv.weight.device, conv.weight.dtype)
    weight, bias = fold_bn_tensors(conv.weight, conv.bias, bn)
    with torch.no_grad():
        fused.weight.copy_(weight)
        fused.bias.copy_(bias)
    return fused.requires_grad_(conv.weight.requires_grad)


def fold_bn_tensors(weight: torch.Tensor, bias: torch.Tensor | None,
                    bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight (O, I/g, k, k), bias (O,)) of the conv that equals conv-then-BN in eval mode."""
    with torch.no_grad():
        std = (bn.running_var + bn.eps).sqrt()
        scale = bn.weight / std
        conv_bias = bias if bias is not None else torch.zeros_like(bn.running_mean)
        return weight * scale.reshape(-1, 1, 1, 1), bn.bias + (conv_bias - bn.running_mean) * scale


def batch_norm(c: int) -> nn.BatchNorm2d:
    """The BatchNorm of every block here: eps as YOLOv5/v8; momentum 0.1 (they use 0.03), because runs on
    small custom datasets are short: after 100 steps 0.03 still leaves 5% of the initial statistics (mean 0,
    var 1) in the running ones, and the eval-mode model then predicts nothing useful."""
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.1)


class Conv(nn.Module):
    """Conv2d (no bias) + BatchNorm2d + activation; ``k`` odd, 'same' padding, so H, W shrink by ``s``."""

    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1, g: int = 1, act: str = "silu") -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, groups=g, bias=False)
        self.bn: nn.Module = batch_norm(c2)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))

    def fuse(self) -> None:
        """Fold BN into the conv (idempotent)."""
        if isinstance(self.bn, nn.BatchNorm2d):
            self.conv = fold_bn(self.conv, self.bn)
            self.bn = nn.Identity()


def dw_conv(c: int, k: int = 3, s: int = 1, act: str = "silu") -> Conv:
    """A depthwise Conv (one k x k filter per channel)."""
    return Conv(c, c, k, s, g=c, act=act)


class SeparableConv(nn.Module):
    """Depthwise k x k Conv then pointwise 1x1 Conv, each with BN + activation.
    (B,c1,H,W) -> (B,c2,H/s,W/s)."""

    def __init__(self, c1: int, c2: int, k: int = 3, s: int = 1, act: str = "silu") -> None:
        super().__init__()
        self.dw = dw_conv(c1, k, s, act)
        self.pw = Conv(c1, c2, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.dw(x))


class SPPF(nn.Module):
    """Spatial pyramid pooling, fast (YOLOv5/v8; SimSPPF of YOLOv6 with act="relu"): 1x1 halving conv, three
    chained 5x5 max pools, concat of the four, 1x1 conv to ``c2``. (B,c1,H,W) -> (B,c2,H,W)."""

    def __init__(self, c1: int, c2: int, k: int = 5, act: str = "silu") -> None:
        super().__init__()
        hidden = c1 // 2
        self.cv1 = Conv(c1, hidden, 1, act=act)
        self.cv2 = Conv(hidden * 4, c2, 1, act=act)
        self.pool = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.pool(y[-1]))
        return self.cv2(torch.cat(y, 1))


class ELAN(nn.Module):
    """Efficient layer aggregation block (YOLOv7 ELAN, in the split form of CSP): a 1x1 conv makes two
    halves of ``c2 * e`` channels each; a chain of ``n`` 3x3 convs grows from the second half; the two halves
    and every conv's output are concatenated ((2 + n) * c2 * e channels) and a 1x1 conv merges them to
    ``c2``. (B,c1,H,W) -> (B,c2,H,W). Every conv sees the gradient of a short path (the aggregation idea).
    """

    def __init__(self, c1: int, c2: int, n: int = 2, e: float = 0.5, act: str = "silu") -> None:
        super().__init__()
        self.hidden = make_divisible(c2 * e, 4)
        self.cv1 = Conv(c1, 2 * self.hidden, 1, act=act)
        self.m = nn.ModuleList(Conv(self.hidden, self.hidden, 3, act=act) for _ in range(n))
        self.cv2 = Conv((2 + n) * self.hidden, c2, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).split(self.hidden, 1))
        for conv in self.m:
            y.append(conv(y[-1]))
        return self.cv2(torch.cat(y, 1))


class MPDown(nn.Module):
    """YOLOv7's MP transition, stride 2: half the output from max pool + 1x1 conv, half from 1x1 conv +
    3x3 stride-2 conv, concatenated. (B,c1,H,W) -> (B,c2,H/2,W/2); about half the FLOPs of a 3x3 s2 conv."""

    def __init__(self, c1: int, c2: int, act: str = "silu") -> None:
        super().__init__()
        half = c2 // 2
        self.pool = nn.MaxPool2d(2, 2)
        self.cv1 = Conv(c1, half, 1, act=act)
        self.cv2 = Conv(c1, half, 1, act=act)
        self.cv3 = Conv(half, c2 - half, 3, 2, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat((self.cv1(self.pool(x)), self.cv3(self.cv2(x))), 1)
