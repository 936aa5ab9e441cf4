"""ResNeSt-50 (Zhang et al. 2020, "ResNeSt: Split-Attention Networks", Sec. 3-4: 27.5 M
parameters): ResNet-50 with the ResNet-D tweaks the paper trains with (deep 3x3 stem of widths 32, 32, 64;
2x2 average pool before the projection shortcut) whose 3x3 conv is split attention (radix 2,
cardinality 1, bottleneck width 64), and the strided blocks average-pool 3x3 after it ("avd") instead of
striding the conv.

Laid out as timm's ``resnest50d`` ("Matches paper ResNeSt-50"): the shared ``ResNet`` trunk (``conv1``
is the deep stem Sequential ``conv1.0/1/3/4/6``, then ``bn1``, ``layer1..4``, shortcuts
``downsample.1/2`` after the pool) with ``ResNestBottleneck`` blocks (``conv1``/``bn1``, ``conv2`` the
``SplitAttention``, ``conv3``/``bn3``), so a timm state dict loads by name (``fc`` goes to
``classifier()``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from studio.models.backbones.resnet import ResNet, ResNetLayout
from studio.models.blocks.split_attention import SplitAttention


@dataclass(frozen=True)
class ResNeStLayout(ResNetLayout):
    deep_stem: bool = True  # ResNet-D stem (3x3 convs 32, 32, 64)
    avg_down: bool = True  # ResNet-D shortcut (average pool, then 1x1)
    radix: int = 2  # splits per cardinal group
    avd: bool = True  # strided blocks: 3x3 average pool with the stride instead of a strided conv
    avd_first: bool = False  # the pool before the split-attention conv (else after it)
    zero_init_last: bool = True  # timm's ResNet default


class ResNestBottleneck(nn.Module):
    """(B, c1, H, W) -> (B, 4 * planes, H / stride, W / stride): 1x1 conv + BN + ReLU to the group width
    (planes * width_per_group / 64 * groups), split attention 3x3, the avd pool when strided, 1x1 conv +
    BN to 4 * planes, plus the (projected) input, ReLU."""

    expansion = 4

    def __init__(self, c1: int, planes: int, stride: int, downsample: nn.Module | None,
                 layout: ResNeStLayout) -> None:
        super().__init__()
        width = int(planes * (layout.width_per_group / 64.0)) * layout.groups
        c2 = planes * self.expansion
        avd_stride, stride = (stride, 1) if layout.avd and stride > 1 else (0, stride)
        self.conv1 = nn.Conv2d(c1, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.act1 = nn.ReLU(inplace=True)
        pool = nn.AvgPool2d(3, avd_stride, 1) if avd_stride else None
        self.avd_first = pool if layout.avd_first else None
        self.conv2 = SplitAttention(width, width, stride=stride, groups=layout.groups, radix=layout.radix)
        self.avd_last = None if layout.avd_first else pool
        self.conv3 = nn.Conv2d(width, c2, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c2)
        self.act3 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.act1(self.bn1(self.conv1(x)))
        if self.avd_first is not None:
            out = self.avd_first(out)
        out = self.conv2(out)
        if self.avd_last is not None:
            out = self.avd_last(out)
        return self.act3(self.bn3(self.conv3(out)) + identity)


RESNEST50 = ResNeStLayout(layers=(3, 4, 6, 3))


def resnest50(**overrides) -> ResNet:
    """ResNeSt-50, 27.5 M parameters as a classifier (Zhang et al. 2020; timm ``resnest50d``:
    27.48 M). Overrides are ``ResNeStLayout`` fields."""
    return ResNet(ResNestBottleneck, replace(RESNEST50, **overrides))
