"""GhostNet's blocks (Han et al. 2020, "GhostNet: More Features from Cheap Operations", Sec. 3.1-3.2, Fig. 3),
named as timm's ``ghostnet`` (``primary_conv`` / ``cheap_operation``, ``ghost1`` / ``conv_dw`` / ``bn_dw`` /
``se`` / ``ghost2`` / ``shortcut``, SE ``conv_reduce`` / ``conv_expand``) so its ImageNet state dict loads by
name."""

from __future__ import annotations

import math

import torch
from torch import nn

from studio.models.blocks.se import SqueezeExcitation


def timm_make_divisible(v: float, divisor: int = 4) -> int:
    """timm's ``make_divisible``: round ``v`` to the nearest multiple of ``divisor``, not below 90% of it."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class GhostSqueezeExcite(SqueezeExcitation):
    """GhostNet's SE: avg pool -> 1x1 conv (``conv_reduce``) -> ReLU -> 1x1 conv (``conv_expand``) -> hard
    sigmoid gate. (B, C, H, W) -> (B, C, H, W). Our ``SqueezeExcitation`` with timm's child names: the
    ``fc1`` / ``fc2`` convs are re-registered as ``conv_reduce`` / ``conv_expand``."""

    def __init__(self, channels: int, rd_ratio: float = 0.25) -> None:
        squeeze = timm_make_divisible(channels * rd_ratio, 4)
        super().__init__(channels, squeeze, act=nn.ReLU, gate=nn.Hardsigmoid)
        self.conv_reduce, self.conv_expand = self.fc1, self.fc2
        del self.fc1, self.fc2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.conv_expand(self.activation(self.conv_reduce(self.avgpool(x))))
        return x * self.scale_activation(s)


def _conv_bn(c1: int, c2: int, k: int, s: int = 1, groups: int = 1, relu: bool = True) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(c2),
                         nn.ReLU(inplace=True) if relu else nn.Identity())


class GhostModule(nn.Module):
    """Ghost module (Fig. 2b): a 1x1 conv makes ``ceil(c2 / ratio)`` intrinsic maps, a cheap depthwise
    ``dw_size`` conv makes the ghosts from them; concatenated and cut to ``c2``. (B, c1, H, W) ->
    (B, c2, H, W). ``relu`` False gives the linear module that closes a bottleneck."""

    def __init__(self, c1: int, c2: int, *, ratio: int = 2, dw_size: int = 3, relu: bool = True) -> None:
        super().__init__()
        self.out_chs = c2
        init_chs = math.ceil(c2 / ratio)
        self.primary_conv = _conv_bn(c1, init_chs, 1, relu=relu)
        self.cheap_operation = _conv_bn(init_chs, init_chs * (ratio - 1), dw_size, groups=init_chs, relu=relu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.primary_conv(x)
        return torch.cat([x1, self.cheap_operation(x1)], dim=1)[:, : self.out_chs]


class GhostBottleneck(nn.Module):
    """Ghost bottleneck (Fig. 3): Ghost module expanding to ``mid``, a depthwise ``k`` x ``k`` conv when
    ``stride`` is 2, optional SE, linear Ghost module to ``c2``, plus the shortcut (identity, or depthwise +
    1x1 conv when the shape changes). (B, c1, H, W) -> (B, c2, H / stride, W / stride)."""

    def __init__(self, c1: int, mid: int, c2: int, k: int = 3, stride: int = 1,
                 se_ratio: float = 0.0) -> None:
        super().__init__()
        self.ghost1 = GhostModule(c1, mid, relu=True)
        self.conv_dw, self.bn_dw = None, None
        if stride > 1:
            self.conv_dw = nn.Conv2d(mid, mid, k, stride, (k - 1) // 2, groups=mid, bias=False)
            self.bn_dw = nn.BatchNorm2d(mid)
        self.se = GhostSqueezeExcite(mid, se_ratio) if se_ratio > 0 else None
        self.ghost2 = GhostModule(mid, c2, relu=False)
        if c1 == c2 and stride == 1:
            self.shortcut = nn.Sequential()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c1, c1, k, stride, (k - 1) // 2, groups=c1, bias=False), nn.BatchNorm2d(c1),
                nn.Conv2d(c1, c2, 1, bias=False), nn.BatchNorm2d(c2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.ghost1(x)
        if self.conv_dw is not None and self.bn_dw is not None:
            y = self.bn_dw(self.conv_dw(y))
        if self.se is not None:
            y = self.se(y)
        return self.ghost2(y) + self.shortcut(x)
