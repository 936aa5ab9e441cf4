"""The Fast R-CNN box head on pooled RoI features (Girshick 2015; the FPN version of Lin et al. 2017):
two fully connected layers of 1024, then class scores (background first) and per-class box deltas."""

from __future__ import annotations

import torch
from torch import nn


class RoIBoxHead(nn.Module):
    """pooled (R, C, S, S) -> (class logits (R, nc + 1), deltas (R, nc + 1, 4)); class 0 is background,
    class c + 1 is the dataset's class index c."""

    def __init__(self, channels: int, pool: int, nc: int, hidden: int = 1024) -> None:
        super().__init__()
        self.fc6 = nn.Linear(channels * pool * pool, hidden)
        self.fc7 = nn.Linear(hidden, hidden)
        self.cls_score = nn.Linear(hidden, nc + 1)
        self.bbox_pred = nn.Linear(hidden, (nc + 1) * 4)
        nn.init.normal_(self.cls_score.weight, std=0.01)  # as Detectron2's FastRCNNOutputLayers
        nn.init.normal_(self.bbox_pred.weight, std=0.001)
        nn.init.zeros_(self.cls_score.bias)
        nn.init.zeros_(self.bbox_pred.bias)

    def forward(self, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.relu(self.fc7(torch.relu(self.fc6(pooled.flatten(1)))))
        return self.cls_score(x), self.bbox_pred(x).reshape(x.shape[0], -1, 4)
