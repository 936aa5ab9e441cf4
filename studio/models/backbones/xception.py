"""Xception (Chollet 2017, "Xception: Deep Learning with Depthwise Separable Convolutions", Figure 5),
laid out as timm's (legacy, Cadene port) ``xception``: ``conv1``/``bn1``, ``conv2``/``bn2``, ``block1`` ..
``block12``, ``conv3``/``bn3``, ``conv4``/``bn4``; ``fc`` goes to ``classifier()``.

timm's two valid stem convs shrink 299 to 147; here they are padded by 1, so any input that is a multiple
of 32 gives exact H / s maps (same weights, shifted grid). The maps are timm's feature points, the ReLU of
the block outputs: ``block1`` (stride 4, 128 channels), ``block2`` (8, 256), ``block11`` (16, 728) and
``act4`` (32, 2048).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.xception_block import SeparableConv2d, XceptionBlock

# block1 .. block12: (in, out, reps, stride, start_with_relu, grow_first): entry flow, middle flow x 8, exit
BLOCKS: tuple[tuple[int, int, int, int, bool, bool], ...] = (
    (64, 128, 2, 2, False, True), (128, 256, 2, 2, True, True), (256, 728, 2, 2, True, True),
    *[(728, 728, 3, 1, True, True)] * 8,
    (728, 1024, 2, 2, True, False),
)
TAPS = {1: 4, 2: 8, 11: 16}  # block number -> stride of the map taken after it


class Xception(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 128, H/4, W/4), 8: (B, 256, H/8, W/8),
    16: (B, 728, H/16, W/16), 32: (B, 2048, H/32, W/32)}."""

    act = "relu"

    def __init__(self) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.conv1 = nn.Conv2d(3, 32, 3, 2, 1, bias=False)  # timm: padding 0
        self.bn1 = nn.BatchNorm2d(32)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(32, 64, 3, 1, 1, bias=False)  # timm: padding 0
        self.bn2 = nn.BatchNorm2d(64)
        self.act2 = nn.ReLU(inplace=True)
        for i, (c1, c2, reps, s, start_relu, grow_first) in enumerate(BLOCKS, start=1):
            block = XceptionBlock(c1, c2, reps, s, start_with_relu=start_relu, grow_first=grow_first)
            self.add_module(f"block{i}", block)
        self.conv3 = SeparableConv2d(1024, 1536, 3, 1, 1)
        self.bn3 = nn.BatchNorm2d(1536)
        self.act3 = nn.ReLU(inplace=True)
        self.conv4 = SeparableConv2d(1536, 2048, 3, 1, 1)
        self.bn4 = nn.BatchNorm2d(2048)
        self.act4 = nn.ReLU(inplace=True)
        self.out_channels = {4: 128, 8: 256, 16: 728, 32: 2048}
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.act1(self.bn1(self.conv1(self.normalize(x))))
        x = self.act2(self.bn2(self.conv2(x)))
        out: dict[int, torch.Tensor] = {}
        for i in range(1, len(BLOCKS) + 1):
            x = getattr(self, f"block{i}")(x)
            if i in TAPS:
                out[TAPS[i]] = F.relu(x)
        x = self.act3(self.bn3(self.conv3(x)))
        out[32] = self.act4(self.bn4(self.conv4(x)))
        return out

    def classifier(self, num_classes: int = 1000) -> XceptionHead:
        """timm's head: global average pool, ``fc`` Linear."""
        return XceptionHead(self.out_channels[32], num_classes)


class XceptionHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.fc(torch.flatten(self.global_pool(feats[32]), 1))


def xception(**overrides) -> Xception:
    """Xception, 22.86 M parameters as a classifier (timm legacy ``xception``)."""
    return Xception(**overrides)
