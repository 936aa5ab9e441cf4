"""Inception-v3 modules (Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer
Vision", Figures 5-7 and 10), named as torchvision's ``InceptionA`` .. ``InceptionE`` (``branch1x1``,
``branch5x5_1``, ...) so its state dicts load by name.

One change from torchvision: the stride-2 3x3 convs and max pools of the grid reductions (``InceptionB``,
``InceptionD``) are padded by 1 instead of 0 ("valid"), so an even input size halves exactly
(H -> H / 2 instead of H / 2 - 1); the weights are the same.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.basic_conv import BasicConv2d


class InceptionA(nn.Module):
    """(B, C, H, W) -> (B, 224 + pool_features, H, W): 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1."""

    def __init__(self, c1: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c1, 64, 1)
        self.branch5x5_1 = BasicConv2d(c1, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, p=2)
        self.branch3x3dbl_1 = BasicConv2d(c1, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, p=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, p=1)
        self.branch_pool = BasicConv2d(c1, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([self.branch1x1(x), b5, b3, bp], 1)


class InceptionB(nn.Module):
    """Grid reduction (B, C, H, W) -> (B, C + 480, H/2, W/2): 3x3 s2 | 1x1-3x3-3x3 s2 | maxpool s2."""

    def __init__(self, c1: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(c1, 384, 3, 2, p=1)  # torchvision: padding 0
        self.branch3x3dbl_1 = BasicConv2d(c1, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, p=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, 2, p=1)  # torchvision: padding 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, kernel_size=3, stride=2, padding=1)], 1)


class InceptionC(nn.Module):
    """(B, 768, H, W) -> (B, 768, H, W): 1x1 | 1x1-1x7-7x1 | 1x1-(7x1-1x7)x2 | avgpool-1x1 (factorised
    7x7 convolutions of width ``c7``)."""

    def __init__(self, c1: int, c7: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c1, 192, 1)
        self.branch7x7_1 = BasicConv2d(c1, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), p=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), p=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(c1, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), p=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), p=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), p=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), p=(0, 3))
        self.branch_pool = BasicConv2d(c1, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_2(self.branch7x7dbl_1(x))
        d = self.branch7x7dbl_5(self.branch7x7dbl_4(self.branch7x7dbl_3(d)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([self.branch1x1(x), b7, d, bp], 1)


class InceptionD(nn.Module):
    """Grid reduction (B, C, H, W) -> (B, C + 512, H/2, W/2): 1x1-3x3 s2 | 1x1-1x7-7x1-3x3 s2 | maxpool."""

    def __init__(self, c1: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(c1, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, 2, p=1)  # torchvision: padding 0
        self.branch7x7x3_1 = BasicConv2d(c1, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), p=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), p=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, 2, p=1)  # torchvision: padding 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2, padding=1)], 1)


class InceptionE(nn.Module):
    """(B, C, H, W) -> (B, 2048, H, W): 1x1 | 1x1-(1x3 & 3x1) | 1x1-3x3-(1x3 & 3x1) | avgpool-1x1
    (the expanded filter banks of the coarsest grid)."""

    def __init__(self, c1: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c1, 320, 1)
        self.branch3x3_1 = BasicConv2d(c1, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), p=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), p=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(c1, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, p=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), p=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), p=(1, 0))
        self.branch_pool = BasicConv2d(c1, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([self.branch1x1(x), b3, d, bp], 1)
