"""The region proposal network head (Ren et al. 2015), shared by every FPN level: a 3x3 conv + ReLU, then
1x1 convs to one objectness logit and four box deltas per anchor."""

from __future__ import annotations

import torch
from torch import nn


class RPNHead(nn.Module):
    """list of maps (B, C, h_l, w_l) -> (objectness (B, N), deltas (B, N, 4)), N = sum h_l * w_l * A,
    ordered level, then row-major cell, then anchor (the order of ``grid_anchors``)."""

    def __init__(self, channels: int, anchors_per_cell: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.cls_logits = nn.Conv2d(channels, anchors_per_cell, 1)
        self.bbox_pred = nn.Conv2d(channels, anchors_per_cell * 4, 1)
        for layer in (self.conv, self.cls_logits, self.bbox_pred):
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.zeros_(layer.bias)

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        logits, deltas = [], []
        for x in feats:
            t = torch.relu(self.conv(x))
            b = t.shape[0]
            logits.append(self.cls_logits(t).permute(0, 2, 3, 1).reshape(b, -1))
            deltas.append(self.bbox_pred(t).permute(0, 2, 3, 1).reshape(b, -1, 4))
        return torch.cat(logits, 1), torch.cat(deltas, 1)
