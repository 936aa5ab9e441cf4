"""Res2Net-50 26w x 4s (Gao et al. 2019, "Res2Net: A New Multi-scale Backbone Architecture", TPAMI,
Sec. 3; 25.70 M parameters in the authors' Res2Net-PretrainedModels table): ResNet-50 whose 3x3 conv
is replaced by hierarchical residual-like 3x3 convs over ``scale`` channel groups of ``width`` = 26
channels each.

Laid out as timm's ``res2net50_26w_4s`` (itself the official gasvn/Res2Net code): the shared ``ResNet``
trunk (torchvision names ``conv1``, ``bn1``, ``layer1..4``, ``downsample.0/1``) with ``Bottle2neck``
blocks named ``conv1``/``bn1``, ``convs.i``/``bns.i`` (the scale - 1 3x3 convs), ``conv3``/``bn3``, so a
timm state dict loads by name (``fc`` goes to ``classifier()``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from studio.models.backbones.resnet import ResNet, ResNetLayout


@dataclass(frozen=True)
class Res2NetLayout(ResNetLayout):
    width_per_group: int = 26  # channels of one scale group at planes 64 (the "26w")
    scale: int = 4  # channel groups per block (the "4s")
    zero_init_last: bool = True  # timm's ResNet default


class Bottle2neck(nn.Module):
    """(B, c1, H, W) -> (B, 4 * planes, H / stride, W / stride). 1x1 conv to ``scale * width`` channels,
    split into ``scale`` groups x_1..x_s of ``width``; y_1 = K_1(x_1), y_i = K_i(x_i + y_(i-1)) for
    1 < i < s (each K a 3x3 conv + BN + ReLU), y_s = x_s (Fig. 2 and Eq. 1). In the first block of a stage
    (stride or projection: timm's ``is_first``) the groups are not chained (y_i = K_i(x_i)) and x_s is
    average-pooled 3x3 with the stride (``pool``). Then concat, 1x1 conv + BN, plus the (projected)
    input, ReLU."""

    expansion = 4

    def __init__(self, c1: int, planes: int, stride: int, downsample: nn.Module | None,
                 layout: Res2NetLayout) -> None:
        super().__init__()
        scale = layout.scale
        if scale < 2:
            raise ValueError(f"Res2Net needs scale >= 2, got {scale}")
        width = math.floor(planes * (layout.width_per_group / 64.0)) * layout.groups
        c2 = planes * self.expansion
        self.width, self.is_first = width, stride > 1 or downsample is not None
        self.conv1 = nn.Conv2d(c1, width * scale, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width * scale)
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, stride, 1, groups=layout.groups, bias=False)
                                   for _ in range(scale - 1))
        self.bns = nn.ModuleList(nn.BatchNorm2d(width) for _ in range(scale - 1))
        self.pool = nn.AvgPool2d(3, stride, 1) if self.is_first else nn.Identity()
        self.conv3 = nn.Conv2d(width * scale, c2, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c2)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        splits = torch.split(self.relu(self.bn1(self.conv1(x))), self.width, 1)
        outs: list[torch.Tensor] = []
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns, strict=True)):
            sp = splits[i] if i == 0 or self.is_first else outs[-1] + splits[i]
            outs.append(self.relu(bn(conv(sp))))
        outs.append(self.pool(splits[-1]))
        out = self.bn3(self.conv3(torch.cat(outs, 1)))
        return self.relu(out + identity)


RES2NET50_26W_4S = Res2NetLayout(layers=(3, 4, 6, 3))


def res2net50_26w_4s(**overrides) -> ResNet:
    """Res2Net-50 26w x 4s, 25.70 M parameters as a classifier (Gao et al. 2019; timm
    ``res2net50_26w_4s``). Overrides are ``Res2NetLayout`` fields."""
    return ResNet(Bottle2neck, replace(RES2NET50_26W_4S, **overrides))
