"""PAN neck (as YOLOv8 / YOLOv6 use it): a top-down FPN pass, then a bottom-up path, with ELAN blocks
fusing each concatenation."""

from __future__ import annotations

import torch
from torch import nn

from studio.models.layers import ELAN, Conv, scaled_depth


class PAN(nn.Module):
    """{stride: (B, in_channels[s], H/s, W/s)} -> {stride: (B, out_channels[s], H/s, W/s)} for the same
    strides (consecutive levels, each twice the previous). ``out_channels`` equals ``in_channels``.

    Top-down: upsample the coarser result, concat with the finer input, ELAN. Bottom-up: 3x3 stride-2 Conv
    of the finer output, concat with the top-down map of that level (the input at the top), ELAN.
    """

    def __init__(self, in_channels: dict[int, int], width: float = 0.25, depth: float = 0.33, *,
                 act: str = "silu", base_depth: int = 3) -> None:
        super().__init__()
        del width  # the channel counts follow the backbone's
        self.strides = sorted(in_channels)
        ch = [in_channels[s] for s in self.strides]
        n = scaled_depth(base_depth, depth)
        self.up = nn.Upsample(scale_factor=2.0, mode="nearest")
        # top_down[i] fuses level i with the upsampled level i + 1 (from the top down)
        self.top_down = nn.ModuleList(ELAN(ch[i] + ch[i + 1], ch[i], n, act=act) for i in range(len(ch) - 1))
        self.downs = nn.ModuleList(Conv(ch[i], ch[i], 3, 2, act=act) for i in range(len(ch) - 1))
        self.bottom_up = nn.ModuleList(ELAN(ch[i] + ch[i + 1], ch[i + 1], n, act=act)
                                       for i in range(len(ch) - 1))
        self.out_channels = dict(in_channels)

    def forward(self, feats: dict[int, torch.Tensor]) -> dict[int, torch.Tensor]:
        xs = [feats[s] for s in self.strides]
        inner = [xs[-1]]  # top-down maps, coarsest first
        for i in range(len(xs) - 2, -1, -1):
            inner.insert(0, self.top_down[i](torch.cat((self.up(inner[0]), xs[i]), 1)))
        outs = [inner[0]]
        for i in range(len(xs) - 1):
            down = self.downs[i](outs[-1])
            outs.append(self.bottom_up[i](torch.cat((down, inner[i + 1]), 1)))
        return dict(zip(self.strides, outs, strict=True))


def pan(in_channels: dict[int, int], width: float, depth: float, **overrides) -> PAN:
    """The registry constructor: ``NECKS["pan"](in_channels, width, depth, **overrides)``."""
    return PAN(in_channels, width, depth, **overrides)
