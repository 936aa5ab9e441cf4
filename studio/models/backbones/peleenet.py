"""PeleeNet (Wang et al. 2018, "Pelee: A Real-Time Object Detection System on Mobile Devices", Table 1:
stem block to 32 channels, dense stages of 3/4/8/6 two-way dense layers with growth 32 and bottleneck widths
1/2/4/4, each closed by a 1x1 transition conv (no compression) and, but for the last, a 2x2 average pool),
named as the authors' PyTorch code (Robert-JunWang/PeleeNet): one ``features`` Sequential (``stemblock``,
``denseblock1``, ``transition1``, ``transition1_pool``, ..., ``transition4``) and the head ``classifier``.

Taps: 4 = ``transition1`` (128), 8 = ``transition2`` (256), 16 = ``transition3`` (512), 32 = ``transition4``
(704): each stage's output before its pool.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.pelee_blocks import PeleeConv, PeleeDenseBlock, StemBlock


class PeleeNet(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 128, H/4, W/4), 8: (B, 256, H/8, W/8), 16: (B, 512, H/16,
    W/16), 32: (B, 704, H/32, W/32)}."""

    act = "relu"

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, ...] = (3, 4, 8, 6),
                 num_init_features: int = 32, bottleneck_width: tuple[int, ...] = (1, 2, 4, 4),
                 drop_rate: float = 0.05) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.drop_rate = drop_rate
        self.features = nn.Sequential(OrderedDict([("stemblock", StemBlock(3, num_init_features))]))
        c = num_init_features
        self.out_channels: dict[int, int] = {}
        for i, n in enumerate(block_config):
            block = PeleeDenseBlock(n, c, growth_rate, bottleneck_width[i])
            c = block.out_channels
            self.features.add_module(f"denseblock{i + 1}", block)
            self.features.add_module(f"transition{i + 1}", PeleeConv(c, c, 1))
            self.out_channels[4 * 2**i] = c
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}_pool", nn.AvgPool2d(kernel_size=2, stride=2))
        for m in self.modules():  # the reference's init
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0, math.sqrt(2.0 / fan_out))

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.normalize(x)
        out: dict[int, torch.Tensor] = {}
        for name, layer in self.features.named_children():
            x = layer(x)
            if name.startswith("transition") and not name.endswith("_pool"):
                out[4 * 2 ** (int(name[len("transition"):]) - 1)] = x
        return out

    def classifier(self, num_classes: int = 1000) -> PeleeNetHead:
        """The reference head: global average pool, dropout, ``classifier`` Linear."""
        return PeleeNetHead(self.out_channels[32], num_classes, dropout=self.drop_rate)


class PeleeNetHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int, *, dropout: float = 0.05) -> None:
        super().__init__()
        self.classifier = nn.Linear(channels, num_classes)
        self.dropout = dropout
        nn.init.normal_(self.classifier.weight, 0, 0.01)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        x = F.dropout(feats[32].mean((2, 3)), p=self.dropout, training=self.training)
        return self.classifier(x)


def peleenet(**overrides) -> PeleeNet:
    """PeleeNet: 2.80 M parameters as a classifier (paper Table 1 / Table 3: 2.8 M)."""
    return PeleeNet(**overrides)
