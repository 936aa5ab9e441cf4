"""Inception-ResNet-v2 modules (Szegedy et al. 2017, "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning", Figures 16-19), named as timm's ``inception_resnet_v2.py``
(``Mixed_5b``, ``Block35``, ``Mixed_6a``, ``Block17``, ``Mixed_7a``, ``Block8``; ``branchN`` Sequentials
of ``BasicConv2d``) so its state dicts load by name.

One change from timm: the stride-2 3x3 convs and max pools of the reductions (``Mixed_6a``,
``Mixed_7a``) are padded by 1 instead of 0 ("valid"), so an even input size halves exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from studio.models.blocks.basic_conv import BasicConv2d


def _seq(*convs: tuple) -> nn.Sequential:
    """A branch: ``BasicConv2d(c1, c2, k, s, p)`` for each (c1, c2, k[, s[, p]]) tuple, in order."""
    return nn.Sequential(*[BasicConv2d(*args) for args in convs])


class Mixed5b(nn.Module):
    """(B, 192, H, W) -> (B, 320, H, W): 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1 (the stem's end)."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = BasicConv2d(192, 96, 1)
        self.branch1 = _seq((192, 48, 1), (48, 64, 5, 1, 2))
        self.branch2 = _seq((192, 64, 1), (64, 96, 3, 1, 1), (96, 96, 3, 1, 1))
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
                                     BasicConv2d(192, 64, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class Block35(nn.Module):
    """Inception-ResNet-A (B, 320, H, W) -> (B, 320, H, W): relu(x + scale * 1x1(cat of 3 branches))."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(320, 32, 1)
        self.branch1 = _seq((320, 32, 1), (32, 32, 3, 1, 1))
        self.branch2 = _seq((320, 32, 1), (32, 48, 3, 1, 1), (48, 64, 3, 1, 1))
        self.conv2d = nn.Conv2d(128, 320, kernel_size=1, stride=1)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2d(torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1))
        return self.relu(out * self.scale + x)


class Mixed6a(nn.Module):
    """Reduction-A (B, 320, H, W) -> (B, 1088, H/2, W/2): 3x3 s2 | 1x1-3x3-3x3 s2 | maxpool s2."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = BasicConv2d(320, 384, 3, 2, 1)  # timm: padding 0 (and below)
        self.branch1 = _seq((320, 256, 1), (256, 256, 3, 1, 1), (256, 384, 3, 2, 1))
        self.branch2 = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1)


class Block17(nn.Module):
    """Inception-ResNet-B (B, 1088, H, W) -> (B, 1088, H, W): relu(x + scale * 1x1(1x1 | 1x1-1x7-7x1))."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(1088, 192, 1)
        self.branch1 = _seq((1088, 128, 1), (128, 160, (1, 7), 1, (0, 3)), (160, 192, (7, 1), 1, (3, 0)))
        self.conv2d = nn.Conv2d(384, 1088, kernel_size=1, stride=1)
        self.relu = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2d(torch.cat([self.branch0(x), self.branch1(x)], 1))
        return self.relu(out * self.scale + x)


class Mixed7a(nn.Module):
    """Reduction-B (B, 1088, H, W) -> (B, 2080, H/2, W/2): three conv branches ending in 3x3 s2, and a
    max pool."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = _seq((1088, 256, 1), (256, 384, 3, 2, 1))
        self.branch1 = _seq((1088, 256, 1), (256, 288, 3, 2, 1))
        self.branch2 = _seq((1088, 256, 1), (256, 288, 3, 1, 1), (288, 320, 3, 2, 1))
        self.branch3 = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class Block8(nn.Module):
    """Inception-ResNet-C (B, 2080, H, W) -> (B, 2080, H, W): x + scale * 1x1(1x1 | 1x1-1x3-3x1), then a
    ReLU unless ``no_relu`` (the last block)."""

    def __init__(self, scale: float = 1.0, no_relu: bool = False) -> None:
        super().__init__()
        self.scale = scale
        self.branch0 = BasicConv2d(2080, 192, 1)
        self.branch1 = _seq((2080, 192, 1), (192, 224, (1, 3), 1, (0, 1)), (224, 256, (3, 1), 1, (1, 0)))
        self.conv2d = nn.Conv2d(448, 2080, kernel_size=1, stride=1)
        self.relu = nn.Identity() if no_relu else nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2d(torch.cat([self.branch0(x), self.branch1(x)], 1))
        return self.relu(out * self.scale + x)
