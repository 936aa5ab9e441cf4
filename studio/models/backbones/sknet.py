"""SKNet-50 (Li et al. 2019, "Selective Kernel Networks", CVPR, Sec. 3.2 and Table 1: 27.5 M parameters):
ResNeXt-50 32x4d whose grouped 3x3 conv is a selective kernel unit (two branches, 3x3 and 5x5 as a dilated
3x3, G = 32, r = 16, L = 32).

Laid out as timm's ``skresnext50_32x4d`` ("equivalent to the SKNet-50 model in the Select Kernel
paper"): the shared ``ResNet`` trunk (torchvision names ``conv1``, ``bn1``, ``layer1..4``,
``downsample.0/1``) with ``SelectiveKernelBottleneck`` blocks (``conv1.conv/bn``, ``conv2`` the
``SelectiveKernel``, ``conv3.conv/bn``), so a timm state dict loads by name (``fc`` goes to
``classifier()``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from studio.models.backbones.resnet import ResNet, ResNetLayout
from studio.models.blocks.basic_conv import BasicConv2d
from studio.models.blocks.selective_kernel import SelectiveKernel


@dataclass(frozen=True)
class SKNetLayout(ResNetLayout):
    groups: int = 32  # G: cardinality of the selective kernel branches
    width_per_group: int = 4  # ResNeXt-50 32x4d widths
    reduction: int = 16  # r: the fuse layer has d = max(C / r, L) channels
    min_width: int = 32  # L
    dilations: tuple[int, ...] = (1, 2)  # one 3x3 branch per dilation (2: the paper's 5x5)


class SelectiveKernelBottleneck(nn.Module):
    """(B, c1, H, W) -> (B, 4 * planes, H / stride, W / stride): 1x1 conv + BN + ReLU to the width
    (planes * width_per_group / 64 * groups), the selective kernel unit with the stride, 1x1 conv + BN
    to 4 * planes, plus the (projected) input, ReLU."""

    expansion = 4

    def __init__(self, c1: int, planes: int, stride: int, downsample: nn.Module | None,
                 layout: SKNetLayout) -> None:
        super().__init__()
        width = int(planes * (layout.width_per_group / 64.0)) * layout.groups
        c2 = planes * self.expansion
        self.conv1 = BasicConv2d(c1, width, 1, eps=1e-5)
        self.conv2 = SelectiveKernel(width, width, stride=stride, groups=layout.groups,
                                     reduction=layout.reduction, min_width=layout.min_width,
                                     dilations=layout.dilations)
        self.conv3 = BasicConv2d(width, c2, 1, act=None, eps=1e-5)
        self.act = nn.ReLU(inplace=True)
        self.downsample = downsample

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.conv3.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.act(self.conv3(self.conv2(self.conv1(x))) + identity)


SKNET50 = SKNetLayout(layers=(3, 4, 6, 3))


def sknet50(**overrides) -> ResNet:
    """SKNet-50, 27.5 M parameters as a classifier (Li et al. 2019, Table 1; timm ``skresnext50_32x4d``:
    27.48 M). Overrides are ``SKNetLayout`` fields."""
    return ResNet(SelectiveKernelBottleneck, replace(SKNET50, **overrides))
