"""The inverted residual (Sandler et al. 2018, "MobileNetV2", Table 1): 1x1 expansion, kxk depthwise conv,
1x1 linear projection, residual when the shape is kept. Two torchvision namings of the same block:

* ``InvertedResidual``: MobileNetV2's, children ``conv.0`` (expand), ``conv.1`` (depthwise), ``conv.2``
  (projection conv), ``conv.3`` (its BN); ReLU6.
* ``MBConv``: MobileNetV3's ``InvertedResidual`` and EfficientNet's ``MBConv`` (Howard et al. 2019, Tan & Le
  2019): ``block`` of ConvNormAct children with an optional squeeze-and-excitation between depthwise conv
  and projection, and ``stochastic_depth`` on the residual branch.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from studio.models.blocks.conv_norm_act import ConvNormAct
from studio.models.blocks.se import SqueezeExcitation
from studio.models.blocks.stochastic_depth import StochasticDepth


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``v`` to the nearest multiple of ``divisor`` (at least ``min_value``), never going more than
    10% below ``v``: torchvision's ``_make_divisible`` from the TF MobileNet code."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class InvertedResidual(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / s, W / s), MobileNetV2 layout (no expansion conv when ``expand`` is 1)."""

    def __init__(self, c1: int, c2: int, s: int, expand: float,
                 act: Callable[[], nn.Module] = nn.ReLU6) -> None:
        super().__init__()
        hidden = round(c1 * expand)
        layers: list[nn.Module] = [] if expand == 1 else [ConvNormAct(c1, hidden, 1, act=act)]
        layers += [ConvNormAct(hidden, hidden, 3, s, groups=hidden, act=act),
                   nn.Conv2d(hidden, c2, 1, bias=False), nn.BatchNorm2d(c2)]
        self.conv = nn.Sequential(*layers)
        self.use_res_connect = s == 1 and c1 == c2
        self.out_channels = c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MBConv(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / s, W / s). ``expanded`` is the hidden width (no expansion conv when it
    equals c1); ``se_squeeze`` > 0 adds SE with that hidden width, ``se_act`` / ``se_gate`` (EfficientNet:
    SiLU / Sigmoid; MobileNetV3: ReLU / Hardsigmoid); ``sd_prob`` is the stochastic-depth drop rate."""

    def __init__(self, c1: int, c2: int, k: int = 3, s: int = 1, *, expanded: int,
                 act: Callable[[], nn.Module] = nn.SiLU, se_squeeze: int = 0,
                 se_act: Callable[[], nn.Module] = nn.SiLU, se_gate: Callable[[], nn.Module] = nn.Sigmoid,
                 sd_prob: float = 0.0, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        norm = {"eps": eps, "momentum": momentum}
        layers: list[nn.Module] = []
        if expanded != c1:
            layers.append(ConvNormAct(c1, expanded, 1, act=act, **norm))
        layers.append(ConvNormAct(expanded, expanded, k, s, groups=expanded, act=act, **norm))
        if se_squeeze:
            layers.append(SqueezeExcitation(expanded, se_squeeze, act=se_act, gate=se_gate))
        layers.append(ConvNormAct(expanded, c2, 1, act=None, **norm))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(sd_prob, "row")
        self.use_res_connect = s == 1 and c1 == c2
        self.out_channels = c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return self.stochastic_depth(y) + x if self.use_res_connect else y
