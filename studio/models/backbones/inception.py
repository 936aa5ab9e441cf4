"""Inception-v3 (Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision",
Table 1), laid out as torchvision's ``inception_v3`` without the auxiliary classifier (``AuxLogits.*`` is
a training-time head: load a torchvision state dict with those keys dropped). Names (``Conv2d_1a_3x3``,
``Mixed_5b``, ...) are torchvision's; ``fc`` goes to ``classifier()``.

torchvision's valid (unpadded) stem convs and stride-2 reductions give 299 -> 149 -> 147 -> 73 -> 71 ->
35 -> 17 -> 8; here every valid 3x3 conv and 3x3 max pool is padded by 1, so any input that is a multiple
of 32 gives exact H / s maps (same weights, shifted sampling grid):

- stride 4: ``Conv2d_4a_3x3`` (192 channels), before ``maxpool2``
- stride 8: ``Mixed_5d`` (288), stride 16: ``Mixed_6e`` (768), stride 32: ``Mixed_7c`` (2048)
"""

from __future__ import annotations

import torch
from torch import nn

from studio.models.blocks.basic_conv import BasicConv2d
from studio.models.blocks.inception_modules import InceptionA, InceptionB, InceptionC, InceptionD, InceptionE
from studio.models.blocks.normalize import ImageNetNormalize


class Inception3(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 192, H/4, W/4), 8: (B, 288, H/8, W/8),
    16: (B, 768, H/16, W/16), 32: (B, 2048, H/32, W/32)}."""

    act = "relu"

    def __init__(self, *, dropout: float = 0.5) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.dropout = dropout
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, 2, p=1)  # torchvision: padding 0 (and below)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3, p=1)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, p=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3, p=1)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, c7=128)
        self.Mixed_6c = InceptionC(768, c7=160)
        self.Mixed_6d = InceptionC(768, c7=160)
        self.Mixed_6e = InceptionC(768, c7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280)
        self.Mixed_7c = InceptionE(2048)
        self.out_channels = {4: 192, 8: 288, 16: 768, 32: 2048}
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.trunc_normal_(m.weight, mean=0.0, std=0.1, a=-2, b=2)  # torchvision's init

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.normalize(x)
        x = self.maxpool1(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))))
        c4 = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        c8 = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(self.maxpool2(c4))))
        c16 = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(self.Mixed_6a(c8)))))
        c32 = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(c16)))
        return {4: c4, 8: c8, 16: c16, 32: c32}

    def classifier(self, num_classes: int = 1000) -> InceptionHead:
        """torchvision's head: global average pool, dropout, ``fc``."""
        return InceptionHead(self.out_channels[32], num_classes, dropout=self.dropout)


class InceptionHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes): ``avgpool``, ``dropout``, flatten, ``fc``."""

    def __init__(self, channels: int, num_classes: int, *, dropout: float = 0.5) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(channels, num_classes)
        nn.init.trunc_normal_(self.fc.weight, mean=0.0, std=0.1, a=-2, b=2)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.fc(torch.flatten(self.dropout(self.avgpool(feats[32])), 1))


def inception_v3(**overrides) -> Inception3:
    """Inception-v3 without the auxiliary head, 23.83 M parameters as a classifier (torchvision
    ``inception_v3``: 27,161,264 minus ``AuxLogits`` 3,326,696 = 23,834,568)."""
    return Inception3(**overrides)
