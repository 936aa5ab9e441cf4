"""PAN neck (as YOLOv8 / YOLOv6 use it): a top-down FPN pass, then a bottom-up path, with ELAN blocks
fusing each concatenation."""

from __future__ import annotations

import torch
from torch import nn

from studio.models.layers import ELAN, Conv, resize_to, scaled_depth


class PAN(nn.Module):
    """{stride: (B, in_channels[s], H/s, W/s)} -> {stride: (B, out_channels[s], H/s, W/s)} for the same
    strides (ascending). ``out_channels`` is ``channels`` (an int for every level, or {stride: ch}) when
    given, with a lateral 1x1 Conv bringing each input to it; else equal to ``in_channels``. Upsampled
    maps are resized to the size of the map they join (no exact 2x ratio assumed).

    Top-down: upsample the coarser result, concat with the finer input, ELAN. Bottom-up: 3x3 stride-2 Conv
    of the finer output, concat with the top-down map of that level (the input at the top), ELAN.
    """

    def __init__(self, in_channels: dict[int, int], width: float = 0.25, depth: float = 0.33, *,
                 act: str = "silu", base_depth: int = 3,
                 channels: int | dict[int, int] | None = None) -> None:
        super().__init__()
        del width  # the channel counts follow the backbone's (or ``channels``)
        self.strides = sorted(in_channels)
        out = _channels(in_channels, channels)
        self.lateral = nn.ModuleList(Conv(in_channels[s], out[s], 1, act=act) if channels is not None
                                     else nn.Identity() for s in self.strides)
        ch = [out[s] for s in self.strides]
        n = scaled_depth(base_depth, depth)
        # top_down[i] fuses level i with the upsampled level i + 1 (from the top down)
        self.top_down = nn.ModuleList(ELAN(ch[i] + ch[i + 1], ch[i], n, act=act) for i in range(len(ch) - 1))
        self.downs = nn.ModuleList(Conv(ch[i], ch[i], 3, 2, act=act) for i in range(len(ch) - 1))
        self.bottom_up = nn.ModuleList(ELAN(ch[i] + ch[i + 1], ch[i + 1], n, act=act)
                                       for i in range(len(ch) - 1))
        self.out_channels = out

    def forward(self, feats: dict[int, torch.Tensor]) -> dict[int, torch.Tensor]:
        xs = [lat(feats[s]) for lat, s in zip(self.lateral, self.strides, strict=True)]
        inner = [xs[-1]]  # top-down maps, coarsest first
        for i in range(len(xs) - 2, -1, -1):
            inner.insert(0, self.top_down[i](torch.cat((resize_to(inner[0], xs[i]), xs[i]), 1)))
        outs = [inner[0]]
        for i in range(len(xs) - 1):
            down = resize_to(self.downs[i](outs[-1]), inner[i + 1])
            outs.append(self.bottom_up[i](torch.cat((down, inner[i + 1]), 1)))
        return dict(zip(self.strides, outs, strict=True))


def _channels(in_channels: dict[int, int], channels: int | dict[int, int] | None) -> dict[int, int]:
    if channels is None:
        return dict(in_channels)
    if isinstance(channels, int):
        return {s: channels for s in in_channels}
    return {s: channels[s] for s in in_channels}


def pan(in_channels: dict[int, int], width: float, depth: float, **overrides) -> PAN:
    """The registry constructor: ``NECKS["pan"](in_channels, width, depth, **overrides)``."""
    return PAN(in_channels, width, depth, **overrides)
