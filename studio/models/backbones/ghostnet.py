"""GhostNet 1.0x (Han et al. 2020, "GhostNet: More Features from Cheap Operations", Table 1), named as timm's
``ghostnet_100``: ``conv_stem`` / ``bn1``, ``blocks.0``-``blocks.8`` (Ghost bottleneck groups), ``blocks.9``
(1x1 conv to 960, timm's ``ConvBnAct``: ``conv`` / ``bn1``), then the head ``conv_head`` (1x1 conv with bias
to 1280 on the pooled vector) and ``classifier``. ``blocks.9`` stays in the trunk as in timm (as torchvision
keeps MobileNetV3's last 1x1 conv in ``features``), so the stride-32 map has 960 channels.

Taps: 4 = ``blocks.2`` (24), 8 = ``blocks.4`` (40), 16 = ``blocks.6`` (112), 32 = ``blocks.9`` (960).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.ghost import GhostBottleneck, timm_make_divisible
from studio.models.blocks.normalize import ImageNetNormalize


@dataclass(frozen=True)
class GhostSpec:
    """One Ghost bottleneck row of Table 1."""

    k: int  # depthwise kernel
    mid: int  # expansion width (#exp)
    out: int  # output channels (#out)
    se: float  # SE reduction ratio, 0 for none
    stride: int


_g = GhostSpec

# timm's ``cfgs``: one inner tuple per ``blocks.N`` group (Table 1 rows).
GHOSTNET_LAYOUT: tuple[tuple[GhostSpec, ...], ...] = (
    (_g(3, 16, 16, 0, 1),),
    (_g(3, 48, 24, 0, 2),),
    (_g(3, 72, 24, 0, 1),),
    (_g(5, 72, 40, 0.25, 2),),
    (_g(5, 120, 40, 0.25, 1),),
    (_g(3, 240, 80, 0, 2),),
    (_g(3, 200, 80, 0, 1), _g(3, 184, 80, 0, 1), _g(3, 184, 80, 0, 1), _g(3, 480, 112, 0.25, 1),
     _g(3, 672, 112, 0.25, 1)),
    (_g(5, 672, 160, 0.25, 2),),
    (_g(5, 960, 160, 0, 1), _g(5, 960, 160, 0.25, 1), _g(5, 960, 160, 0, 1), _g(5, 960, 160, 0.25, 1)),
)


class ConvBnAct(nn.Module):
    """timm's ``ConvBnAct`` names: ``conv`` (no bias) and ``bn1`` (its activation is parameter-free).
    (B, c1, H, W) -> (B, c2, H, W)."""

    def __init__(self, c1: int, c2: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn1(self.conv(x)))


class GhostNet(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 24, H/4, W/4), 8: (B, 40, H/8, W/8), 16: (B, 112, H/16, W/16),
    32: (B, 960, H/32, W/32)} at width 1.0."""

    act = "relu"

    def __init__(self, width: float = 1.0, layout: tuple[tuple[GhostSpec, ...], ...] = GHOSTNET_LAYOUT,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.dropout = dropout
        c = timm_make_divisible(16 * width, 4)
        self.conv_stem = nn.Conv2d(3, c, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.act1 = nn.ReLU(inplace=True)
        groups: list[nn.Module] = []
        last_at: dict[int, tuple[int, int]] = {}  # stride -> (index of its last group, channels)
        stride = 2
        for i, group in enumerate(layout):
            layers = []
            for spec in group:
                out = timm_make_divisible(spec.out * width, 4)
                mid = timm_make_divisible(spec.mid * width, 4)
                layers.append(GhostBottleneck(c, mid, out, spec.k, spec.stride, se_ratio=spec.se))
                c, stride = out, stride * spec.stride
            groups.append(nn.Sequential(*layers))
            last_at[stride] = (i, c)
        last = timm_make_divisible(layout[-1][-1].mid * width, 4)
        groups.append(nn.Sequential(ConvBnAct(c, last)))
        last_at[32] = (len(groups) - 1, last)
        self.blocks = nn.Sequential(*groups)
        self._taps = {i: s for s, (i, _) in last_at.items() if s >= 4}
        self.out_channels = {s: ch for s, (_, ch) in sorted(last_at.items()) if s >= 4}

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.act1(self.bn1(self.conv_stem(self.normalize(x))))
        out: dict[int, torch.Tensor] = {}
        for i, group in enumerate(self.blocks):
            x = group(x)
            if i in self._taps:
                out[self._taps[i]] = x
        return out

    def classifier(self, num_classes: int = 1000) -> GhostNetHead:
        """timm's head: global average pool, ``conv_head`` (1x1 conv with bias to 1280), ReLU, dropout,
        ``classifier`` Linear."""
        return GhostNetHead(self.out_channels[32], num_classes, dropout=self.dropout)


class GhostNetHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int, *, hidden: int = 1280, dropout: float = 0.2) -> None:
        super().__init__()
        self.conv_head = nn.Conv2d(channels, hidden, 1, 1, 0, bias=True)
        self.classifier = nn.Linear(hidden, num_classes)
        self.dropout = dropout

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        x = F.relu(self.conv_head(feats[32].mean((2, 3), keepdim=True))).flatten(1)
        return self.classifier(F.dropout(x, p=self.dropout, training=self.training))


def ghostnet_1_0(**overrides) -> GhostNet:
    """GhostNet 1.0x: 5.18 M parameters as a classifier (timm ``ghostnet_100``; paper Table 7: 5.2 M)."""
    return GhostNet(**overrides)
