"""Fused-MBConv (Tan & Le 2021, "EfficientNetV2", Fig. 2): the MBConv's 1x1 expansion and depthwise conv
fused into one regular kxk conv, then a 1x1 projection (none when the expansion is 1), residual when the
shape is kept. Named as torchvision's ``FusedMBConv``: ``block`` (ConvNormAct children) and
``stochastic_depth``."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from studio.models.blocks.conv_norm_act import ConvNormAct
from studio.models.blocks.stochastic_depth import StochasticDepth


class FusedMBConv(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / s, W / s). ``expanded`` is the hidden width (c1 * expand ratio)."""

    def __init__(self, c1: int, c2: int, k: int = 3, s: int = 1, *, expanded: int,
                 act: Callable[[], nn.Module] = nn.SiLU, sd_prob: float = 0.0, eps: float = 1e-5) -> None:
        super().__init__()
        if expanded != c1:
            layers = [ConvNormAct(c1, expanded, k, s, act=act, eps=eps),
                      ConvNormAct(expanded, c2, 1, act=None, eps=eps)]
        else:
            layers = [ConvNormAct(c1, c2, k, s, act=act, eps=eps)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(sd_prob, "row")
        self.use_res_connect = s == 1 and c1 == c2
        self.out_channels = c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return self.stochastic_depth(y) + x if self.use_res_connect else y
