"""Plain FPN neck (Lin et al. 2017): lateral 1x1 convs, top-down nearest upsampling + add, a 3x3 output
conv per level; every level gets the same channel count."""

from __future__ import annotations

import torch
from torch import nn

from studio.models.layers import Conv, make_divisible, resize_to


class FPN(nn.Module):
    """{stride: (B, in_channels[s], H/s, W/s)} -> {stride: (B, C, H/s, W/s)} for the same strides
    (ascending); C = ``channels`` or 256 * width, rounded to 8. Coarser maps are resized to the finer
    map's size (nearest), so no exact 2x ratio is assumed."""

    def __init__(self, in_channels: dict[int, int], width: float = 0.25, depth: float = 0.33, *,
                 act: str = "silu", channels: int | None = None) -> None:
        super().__init__()
        del depth  # one output conv per level at every scale
        self.strides = sorted(in_channels)
        c = channels or make_divisible(256 * width)
        self.lateral = nn.ModuleList(Conv(in_channels[s], c, 1, act=act) for s in self.strides)
        self.output = nn.ModuleList(Conv(c, c, 3, act=act) for _ in self.strides)
        self.out_channels = {s: c for s in self.strides}

    def forward(self, feats: dict[int, torch.Tensor]) -> dict[int, torch.Tensor]:
        inner = [lat(feats[s]) for lat, s in zip(self.lateral, self.strides, strict=True)]
        for i in range(len(inner) - 2, -1, -1):
            inner[i] = inner[i] + resize_to(inner[i + 1], inner[i])
        return {s: conv(x) for s, conv, x in zip(self.strides, self.output, inner, strict=True)}


def fpn(in_channels: dict[int, int], width: float, depth: float, **overrides) -> FPN:
    """The registry constructor: ``NECKS["fpn"](in_channels, width, depth, **overrides)``."""
    return FPN(in_channels, width, depth, **overrides)
