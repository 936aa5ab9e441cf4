"""Inception-ResNet-v2 (Szegedy et al. 2017, "Inception-v4, Inception-ResNet and the Impact of Residual
Connections on Learning", Figure 15), laid out as timm's ``inception_resnet_v2`` (``conv2d_1a``,
``mixed_5b``, ``repeat``, ``repeat_1``, ``repeat_2``, ``block8``, ``conv2d_7b``; ``classif`` goes to
``classifier()``).

timm's valid (unpadded) stem convs, pools and reductions shrink 299 to 35 / 17 / 8; here each is padded
by 1, so any input that is a multiple of 32 gives exact H / s maps (same weights, shifted grid). The
maps are timm's feature points: ``conv2d_4a`` (stride 4, 192 channels), ``repeat`` (8, 320),
``repeat_1`` (16, 1088), ``conv2d_7b`` (32, 1536).
"""

from __future__ import annotations

import torch
from torch import nn

from studio.models.blocks.basic_conv import BasicConv2d
from studio.models.blocks.inception_resnet_modules import Block8, Block17, Block35, Mixed5b, Mixed6a, Mixed7a
from studio.models.blocks.normalize import ImageNetNormalize


class InceptionResnetV2(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 192, H/4, W/4), 8: (B, 320, H/8, W/8),
    16: (B, 1088, H/16, W/16), 32: (B, 1536, H/32, W/32)}."""

    act = "relu"

    def __init__(self, *, depths: tuple[int, int, int] = (10, 20, 10),
                 scales: tuple[float, float, float] = (0.17, 0.10, 0.20)) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.conv2d_1a = BasicConv2d(3, 32, 3, 2, 1)  # timm: padding 0 (and the next three)
        self.conv2d_2a = BasicConv2d(32, 32, 3, 1, 1)
        self.conv2d_2b = BasicConv2d(32, 64, 3, 1, 1)
        self.maxpool_3a = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2d_3b = BasicConv2d(64, 80, 1)
        self.conv2d_4a = BasicConv2d(80, 192, 3, 1, 1)
        self.maxpool_5a = nn.MaxPool2d(3, stride=2, padding=1)
        self.mixed_5b = Mixed5b()
        self.repeat = nn.Sequential(*[Block35(scales[0]) for _ in range(depths[0])])
        self.mixed_6a = Mixed6a()
        self.repeat_1 = nn.Sequential(*[Block17(scales[1]) for _ in range(depths[1])])
        self.mixed_7a = Mixed7a()
        self.repeat_2 = nn.Sequential(*[Block8(scales[2]) for _ in range(depths[2] - 1)])
        self.block8 = Block8(no_relu=True)
        self.conv2d_7b = BasicConv2d(2080, 1536, 1)
        self.out_channels = {4: 192, 8: 320, 16: 1088, 32: 1536}

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.conv2d_2b(self.conv2d_2a(self.conv2d_1a(self.normalize(x))))
        c4 = self.conv2d_4a(self.conv2d_3b(self.maxpool_3a(x)))
        c8 = self.repeat(self.mixed_5b(self.maxpool_5a(c4)))
        c16 = self.repeat_1(self.mixed_6a(c8))
        c32 = self.conv2d_7b(self.block8(self.repeat_2(self.mixed_7a(c16))))
        return {4: c4, 8: c8, 16: c16, 32: c32}

    def classifier(self, num_classes: int = 1000) -> InceptionResnetHead:
        """timm's head: global average pool, ``classif`` Linear."""
        return InceptionResnetHead(self.out_channels[32], num_classes)


class InceptionResnetHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classif = nn.Linear(channels, num_classes)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.classif(torch.flatten(self.global_pool(feats[32]), 1))


def inception_resnet_v2(**overrides) -> InceptionResnetV2:
    """Inception-ResNet-v2, 55.84 M parameters as a classifier (timm ``inception_resnet_v2``)."""
    return InceptionResnetV2(**overrides)
