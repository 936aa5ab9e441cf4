"""Selective kernel convolution (Li et al. 2019, "Selective Kernel Networks", CVPR, Sec. 3.1 and Fig. 1):
Split (one grouped 3x3 conv per branch, the 5x5 branch as a 3x3 with dilation 2), Fuse (sum the
branches, global average pool, a 1x1 to d = max(C / r, L) with BN + ReLU), Select (one 1x1 to C logits
per branch, a softmax across the branches, the weighted sum of the branches). Named as timm's
``SelectiveKernel`` (``paths.i.conv/bn``, ``attn.fc_reduce``, ``attn.bn``, ``attn.fc_select``) so its
SKNet state dicts load by name."""

from __future__ import annotations

import torch
from torch import nn


class ConvBnReLU(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / stride, W / stride): a 3x3 conv ("same" padding for its dilation,
    no bias) -> BN -> ReLU, children ``conv`` / ``bn`` / ``act`` as timm's ``ConvNormAct``."""

    def __init__(self, c1: int, c2: int, *, stride: int = 1, dilation: int = 1, groups: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, 3, stride, dilation, dilation, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


def attention_width(channels: int, reduction: int = 16, floor: int = 32) -> int:
    """d = max(C / r, L) (Eq. 4), rounded to a multiple of L as timm's ``make_divisible(C / r, L)``."""
    v = channels / reduction
    width = max(floor, int(v + floor / 2) // floor * floor)
    return width + floor if width < 0.9 * v else width


class SelectiveKernelAttention(nn.Module):
    """(B, paths, C, H, W) branch outputs -> (B, paths, C, 1, 1) weights that sum to 1 across the paths:
    sum over paths, global average pool, ``fc_reduce`` (1x1 to ``hidden``, no bias), ``bn``, ReLU,
    ``fc_select`` (1x1 to paths * C, no bias), softmax across the paths."""

    def __init__(self, channels: int, paths: int, hidden: int) -> None:
        super().__init__()
        self.paths = paths
        self.fc_reduce = nn.Conv2d(channels, hidden, 1, bias=False)
        self.bn = nn.BatchNorm2d(hidden)
        self.act = nn.ReLU(inplace=True)
        self.fc_select = nn.Conv2d(hidden, channels * paths, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.sum(dim=1).mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
        z = self.fc_select(self.act(self.bn(self.fc_reduce(s))))  # (B, paths * C, 1, 1)
        return torch.softmax(z.unflatten(1, (self.paths, -1)), dim=1)


class SelectiveKernel(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / stride, W / stride): one ``ConvBnReLU`` per dilation in ``dilations``
    (3x3 with dilation 1 and 2: the paper's 3x3 and 5x5 kernels), each with the stride and ``groups``
    (G = 32 in SKNet-50), fused by ``SelectiveKernelAttention`` with d = max(c2 / reduction, min_width)
    (r = 16, L = 32)."""

    def __init__(self, c1: int, c2: int, *, stride: int = 1, groups: int = 32, reduction: int = 16,
                 min_width: int = 32, dilations: tuple[int, ...] = (1, 2)) -> None:
        super().__init__()
        groups = min(groups, c2)
        self.paths = nn.ModuleList(ConvBnReLU(c1, c2, stride=stride, dilation=d, groups=groups)
                                   for d in dilations)
        self.attn = SelectiveKernelAttention(c2, len(dilations), attention_width(c2, reduction, min_width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = torch.stack([path(x) for path in self.paths], dim=1)  # (B, paths, c2, H', W')
        return (branches * self.attn(branches)).sum(dim=1)
