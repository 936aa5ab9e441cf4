"""DenseNet-BC parts (Huang et al. 2017, "Densely Connected Convolutional Networks", section 3), named as
torchvision's ``_DenseLayer`` / ``_DenseBlock`` / ``_Transition`` so its state dicts load by name."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class DenseLayer(nn.Module):
    """(B, C, H, W) -> (B, growth, H, W): BN-ReLU-1x1 conv to ``bn_size * growth``, BN-ReLU-3x3 conv to
    ``growth`` (the "new features" concatenated onto the input by ``DenseBlock``)."""

    def __init__(self, c1: int, growth: int, bn_size: int = 4, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(c1)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(c1, bn_size * growth, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = drop_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(self.relu1(self.norm1(x)))
        x = self.conv2(self.relu2(self.norm2(x)))
        return F.dropout(x, p=self.drop_rate, training=self.training) if self.drop_rate > 0 else x


class DenseBlock(nn.Module):
    """(B, C, H, W) -> (B, C + n * growth, H, W): ``denselayer1..n``, each fed the concatenation of the
    block input and every earlier layer's output."""

    def __init__(self, n: int, c1: int, growth: int, bn_size: int = 4, drop_rate: float = 0.0) -> None:
        super().__init__()
        for i in range(n):
            self.add_module(f"denselayer{i + 1}", DenseLayer(c1 + i * growth, growth, bn_size, drop_rate))
        self.out_channels = c1 + n * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for layer in self.children():
            feats.append(layer(torch.cat(feats, 1)))
        return torch.cat(feats, 1)


class Transition(nn.Sequential):
    """(B, c1, H, W) -> (B, c2, H/2, W/2): ``norm``, ``relu``, 1x1 ``conv`` (compression), 2x2 average
    ``pool``."""

    def __init__(self, c1: int, c2: int) -> None:
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(c1))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(c1, c2, kernel_size=1, stride=1, bias=False))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))
