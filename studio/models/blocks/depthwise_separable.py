"""Depthwise separable convolution (Howard et al. 2017, "MobileNets", Fig. 3): a 3x3 depthwise conv,
BN, act, then a 1x1 pointwise conv, BN, act. Children named as timm's ``DepthwiseSeparableConv``
(``conv_dw``, ``bn1``, ``conv_pw``, ``bn2``) so that timm's ``mobilenetv1_100`` state dict loads by name."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class DepthwiseSeparable(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / s, W / s). No residual (MobileNet-V1 has none)."""

    def __init__(self, c1: int, c2: int, s: int = 1, *, k: int = 3,
                 act: Callable[[], nn.Module] = nn.ReLU6) -> None:
        super().__init__()
        self.conv_dw = nn.Conv2d(c1, c1, k, s, (k - 1) // 2, groups=c1, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.act1 = act()
        self.conv_pw = nn.Conv2d(c1, c2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c2)
        self.act2 = act()
        self.out_channels = c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv_dw(x)))
        return self.act2(self.bn2(self.conv_pw(x)))
