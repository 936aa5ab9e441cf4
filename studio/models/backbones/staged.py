"""What the stage-based backbones share: a stride-2 stem, then stages that each halve the resolution
(strides 4, 8, 16, 32); ``forward`` returns the maps of the strides in ``out_channels``."""

from __future__ import annotations

import torch
from torch import nn


class StagedBackbone(nn.Module):
    """Subclasses set ``stem``, ``stages`` (an nn.ModuleList, stage i at stride 4 * 2**i) and
    ``out_channels`` ({stride: channels})."""

    stem: nn.Module
    stages: nn.ModuleList
    out_channels: dict[int, int]

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.stem(x)
        out: dict[int, torch.Tensor] = {}
        for i, stage in enumerate(self.stages):
            x = stage(x)
            stride = 4 * 2**i
            if stride in self.out_channels:
                out[stride] = x
        return out
