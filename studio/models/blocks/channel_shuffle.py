"""Channel shuffle (Zhang et al. 2018, "ShuffleNet", Sec. 3.1 and Fig. 1c): with ``g`` groups of ``n``
channels, reshape the channel axis to (g, n), transpose to (n, g) and flatten, so the next grouped conv sees
one channel from every group. Pure reshapes: no parameters, exports to ONNX as Reshape/Transpose."""

from __future__ import annotations

import torch
from torch import nn


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H, W) with output channel ``j * groups + i`` = input channel ``i * (C // groups)
    + j`` (torchvision's ``channel_shuffle``). ``C`` must be a multiple of ``groups``."""
    return x.unflatten(1, (groups, -1)).transpose(1, 2).flatten(1, 2)


class ChannelShuffle(nn.Module):
    """``channel_shuffle`` as a module. (B, C, H, W) -> (B, C, H, W)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
