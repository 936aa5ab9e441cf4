"""Squeeze-and-excitation (Hu et al. 2018): global average pool -> 1x1 conv down -> act -> 1x1 conv up ->
gate, multiplied onto the input. Children named ``fc1`` / ``fc2`` as torchvision's ``SqueezeExcitation``."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class SqueezeExcitation(nn.Module):
    """(B, C, H, W) -> (B, C, H, W) reweighted per channel. ``squeeze`` is the hidden width (ResNet-SE:
    C // 16; MobileNetV3: make_divisible(C / 4, 8); EfficientNet: block input // 4); ``act`` and ``gate``
    are module factories (ReLU + Sigmoid by default; MobileNetV3 uses Hardsigmoid, EfficientNet SiLU)."""

    def __init__(self, channels: int, squeeze: int, *, act: Callable[[], nn.Module] = nn.ReLU,
                 gate: Callable[[], nn.Module] = nn.Sigmoid) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = act()
        self.scale_activation = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return x * s
