"""BiFPN neck after EfficientDet (Tan et al. 2020): repeated bidirectional layers whose nodes fuse their
inputs with fast normalised weights, w_i / (eps + sum w_j) with w = relu(learned), followed by a
depthwise-separable conv."""

from __future__ import annotations

import torch
from torch import nn

from studio.models.layers import Conv, SeparableConv, make_divisible, resize_to, scaled_depth


class WeightedFusion(nn.Module):
    """A BiFPN node: sum_i w_i x_i / (eps + sum_i w_i), w = relu(learned, starts at 1), then a separable
    3x3 conv. Inputs are n maps (B, C, h, w) of one shape; output (B, C, h, w)."""

    def __init__(self, n: int, c: int, act: str, eps: float = 1e-4) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps
        self.conv = SeparableConv(c, c, 3, act=act)

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        w = torch.relu(self.weight)
        w = w / (w.sum() + self.eps)
        y = xs[0] * w[0]
        for i in range(1, len(xs)):
            y = y + xs[i] * w[i]
        return self.conv(y)


class BiFPNLayer(nn.Module):
    """One bidirectional pass over L levels of C channels (finest first): top-down nodes fuse (input,
    upsampled coarser), bottom-up nodes fuse (input, top-down map, max-pooled finer output)."""

    def __init__(self, levels: int, c: int, act: str) -> None:
        super().__init__()
        self.down = nn.MaxPool2d(3, 2, 1)
        self.top_down = nn.ModuleList(WeightedFusion(2, c, act) for _ in range(levels - 1))
        self.bottom_up = nn.ModuleList(WeightedFusion(2 if i == levels - 1 else 3, c, act)
                                       for i in range(1, levels))

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        td = list(xs)
        for i in range(len(xs) - 2, -1, -1):
            td[i] = self.top_down[i]([xs[i], resize_to(td[i + 1], xs[i])])
        outs = [td[0]]
        for i in range(1, len(xs)):
            down = resize_to(self.down(outs[-1]), xs[i])
            inputs = [xs[i], down] if i == len(xs) - 1 else [xs[i], td[i], down]
            outs.append(self.bottom_up[i - 1](inputs))
        return outs


class BiFPN(nn.Module):
    """{stride: (B, in_channels[s], H/s, W/s)} -> {stride: (B, C, H/s, W/s)} for the same strides
    (ascending; maps are resized to match, no exact 2x ratio assumed); C = ``channels`` or 256 * width
    rounded to 8; the number of layers is ``layers`` or round(3 * depth) (at least 1). Lateral 1x1 Convs
    bring every input to C channels first."""

    def __init__(self, in_channels: dict[int, int], width: float = 0.25, depth: float = 0.33, *,
                 act: str = "silu", channels: int | None = None, layers: int | None = None) -> None:
        super().__init__()
        self.strides = sorted(in_channels)
        c = channels or make_divisible(256 * width)
        self.lateral = nn.ModuleList(Conv(in_channels[s], c, 1, act=act) for s in self.strides)
        n = layers or scaled_depth(3, depth)
        self.layers = nn.ModuleList(BiFPNLayer(len(self.strides), c, act) for _ in range(n))
        self.out_channels = {s: c for s in self.strides}

    def forward(self, feats: dict[int, torch.Tensor]) -> dict[int, torch.Tensor]:
        xs = [lat(feats[s]) for lat, s in zip(self.lateral, self.strides, strict=True)]
        for layer in self.layers:
            xs = layer(xs)
        return dict(zip(self.strides, xs, strict=True))


def bifpn(in_channels: dict[int, int], width: float, depth: float, **overrides) -> BiFPN:
    """The registry constructor: ``NECKS["bifpn"](in_channels, width, depth, **overrides)``."""
    return BiFPN(in_channels, width, depth, **overrides)
