"""Xception parts (Chollet 2017, "Xception: Deep Learning with Depthwise Separable Convolutions",
Figure 5), named as timm's ``xception.py`` (``SeparableConv2d`` with ``conv1`` / ``pointwise``, ``Block``
with ``rep.N``, ``skip``, ``skipbn``) so its state dicts load by name."""

from __future__ import annotations

import torch
from torch import nn


class SeparableConv2d(nn.Module):
    """(B, c1, H, W) -> (B, c2, H, W): depthwise k x k ``conv1`` then 1x1 ``pointwise`` (no biases)."""

    def __init__(self, c1: int, c2: int, k: int = 3, s: int = 1, p: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c1, c1, k, s, p, groups=c1, bias=False)
        self.pointwise = nn.Conv2d(c1, c2, 1, 1, 0, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.conv1(x))


class XceptionBlock(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / s, W / s): ``reps`` x (ReLU, separable 3x3, BN) in ``rep`` (the first
    ReLU dropped when ``start_with_relu`` is False; widening on the first rep if ``grow_first``, else on the
    last), a 3x3 stride-s max pool when s > 1, plus the input (or its 1x1 stride-s ``skip`` + ``skipbn``
    projection when the shape changes). timm's ``Block``."""

    def __init__(self, c1: int, c2: int, reps: int, s: int = 1, *, start_with_relu: bool = True,
                 grow_first: bool = True) -> None:
        super().__init__()
        if c2 != c1 or s != 1:
            self.skip = nn.Conv2d(c1, c2, 1, stride=s, bias=False)
            self.skipbn = nn.BatchNorm2d(c2)
        rep: list[nn.Module] = []
        for i in range(reps):
            if grow_first:
                cin, cout = (c1 if i == 0 else c2), c2
            else:
                cin, cout = c1, (c1 if i < reps - 1 else c2)
            rep += [nn.ReLU(inplace=i > 0), SeparableConv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout)]
        if not start_with_relu:
            rep = rep[1:]
        if s != 1:
            rep.append(nn.MaxPool2d(3, s, 1))
        self.rep = nn.Sequential(*rep)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skipbn(self.skip(x)) if hasattr(self, "skip") else x
        return self.rep(x) + skip
