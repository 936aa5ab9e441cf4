"""Decoupled anchor-free detection head with DFL box bins (as YOLOv8): per level a box branch and a class
branch, no weights shared between levels."""

from __future__ import annotations

import math

import torch
from torch import nn

from studio.models.layers import Conv, SeparableConv


class DetectHead(nn.Module):
    """{stride: (B, C_s, h, w)} -> list, ascending stride, of (B, 4 * reg_max + nc, h, w).

    The first 4 * reg_max channels are DFL logits, laid out as ``view(B, 4, reg_max, h, w)``: distances
    (left, top, right, bottom) from the anchor point in stride units; the last ``nc`` are class logits.

    Box branch: two 3x3 Convs of ``box_channels`` then a 1x1 conv to 4 * reg_max. Class branch: two
    depthwise-separable 3x3 convs (``separable_cls``, as YOLO11; else plain 3x3 Convs) of ``cls_channels``
    then a 1x1 conv to nc. Defaults as YOLOv8: box_channels = max(16, C_min // 4, 4 * reg_max),
    cls_channels = max(C_min, min(nc, 100)), C_min the finest level's channels.
    """

    def __init__(self, in_channels: dict[int, int], nc: int, reg_max: int = 16, *,
                 box_channels: int | None = None, cls_channels: int | None = None,
                 separable_cls: bool = True, act: str = "silu") -> None:
        super().__init__()
        self.nc, self.reg_max = nc, reg_max
        self.strides = tuple(sorted(in_channels))
        first = in_channels[self.strides[0]]
        c_box = box_channels or max(16, first // 4, 4 * reg_max)
        c_cls = cls_channels or max(first, min(nc, 100))
        self.box = nn.ModuleList(self._box_branch(in_channels[s], c_box, act) for s in self.strides)
        self.cls = nn.ModuleList(self._cls_branch(in_channels[s], c_cls, separable_cls, act)
                                 for s in self.strides)
        self.init_biases()

    def _box_branch(self, c: int, hidden: int, act: str) -> nn.Sequential:
        return nn.Sequential(Conv(c, hidden, 3, act=act), Conv(hidden, hidden, 3, act=act),
                             nn.Conv2d(hidden, 4 * self.reg_max, 1))

    def _cls_branch(self, c: int, hidden: int, separable: bool, act: str) -> nn.Sequential:
        block = SeparableConv if separable else (lambda c1, c2, act: Conv(c1, c2, 3, act=act))
        return nn.Sequential(block(c, hidden, act=act), block(hidden, hidden, act=act),
                             nn.Conv2d(hidden, self.nc, 1))

    def init_biases(self) -> None:
        """YOLOv8's start: box logits bias 1.0; class bias log(5 / nc / (640 / s)^2), i.e. about 5 objects
        per class in a 640 image, so the first losses are small and training starts stable."""
        for box, cls, s in zip(self.box, self.cls, self.strides, strict=True):
            nn.init.constant_(box[-1].bias, 1.0)
            nn.init.constant_(cls[-1].bias, math.log(5 / self.nc / (640 / s) ** 2))

    def forward(self, feats: dict[int, torch.Tensor]) -> list[torch.Tensor]:
        return [torch.cat((box(feats[s]), cls(feats[s])), 1)
                for box, cls, s in zip(self.box, self.cls, self.strides, strict=True)]
