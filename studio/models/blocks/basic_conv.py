"""Conv2d -> BatchNorm2d -> activation with children named ``conv`` / ``bn`` / ``act``: torchvision's
Inception ``BasicConv2d`` and timm's ``ConvNormAct`` (whose activation lives inside ``bn`` and holds no
parameters), so their ImageNet state dicts load by name. ``ConvNormAct`` (children 0, 1, 2) is the
torchvision-style counterpart for ``Conv2dNormActivation`` names."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class BasicConv2d(nn.Module):
    """(B, c1, H, W) -> (B, c2, H', W'): conv (no bias) -> BatchNorm -> act. ``k``, ``s`` and ``p`` are
    passed to ``nn.Conv2d`` as given (ints or (h, w) pairs); ``p=None`` means "same" padding for odd
    kernels. ``eps`` is 1e-3 for the TensorFlow ports (Inception, DPN), 1e-5 for the darknets."""

    def __init__(self, c1: int, c2: int, k: int | tuple[int, int] = 1, s: int = 1,
                 p: int | tuple[int, int] | None = 0, *, act: Callable[[], nn.Module] | None = nn.ReLU,
                 eps: float = 1e-3) -> None:
        super().__init__()
        if p is None:
            kh, kw = (k, k) if isinstance(k, int) else k
            p = ((kh - 1) // 2, (kw - 1) // 2)
        self.conv = nn.Conv2d(c1, c2, k, s, p, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=eps)
        self.act = act() if act is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))
