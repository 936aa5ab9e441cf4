"""Dual Path Network parts (Chen et al. 2017, "Dual Path Networks", section 4 and Figure 2), named as
timm's ``dpn.py`` (``BnActConv2d``, ``CatBnAct``, ``DualPathBlock``) so its state dicts load by name.

A DPN block carries two paths: a residual path (``num_1x1_c`` channels, added) and a densely connected path
(grown by ``inc`` channels per block, concatenated). Blocks pass them on as a (residual, dense) pair.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

DualPath = tuple[torch.Tensor, torch.Tensor]  # (residual (B, Cr, H, W), dense (B, Cd, H, W))


class BatchNormAct2d(nn.BatchNorm2d):
    """(B, C, H, W) -> (B, C, H, W): BatchNorm then ``act`` (timm's ``BatchNormAct2d``: the activation is
    a parameter-free child, so the keys are those of a plain BatchNorm2d)."""

    def __init__(self, channels: int, *, eps: float = 1e-3, act: Callable[[], nn.Module] = nn.ReLU) -> None:
        super().__init__(channels, eps=eps)
        self.act = act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(super().forward(x))


class BnActConv2d(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / s, W / s): pre-activation ``bn`` (BN + ReLU), then ``conv`` (no bias,
    "same" padding, ``groups`` for the 3x3 grouped conv)."""

    def __init__(self, c1: int, c2: int, k: int, s: int = 1, groups: int = 1) -> None:
        super().__init__()
        self.bn = BatchNormAct2d(c1)
        self.conv = nn.Conv2d(c1, c2, k, s, (k - 1) // 2, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.bn(x))


class CatBnAct(nn.Module):
    """(B, C, H, W) or a dual-path pair (concatenated to C channels) -> (B, C, H, W): ``bn`` + act (the
    final one of DPN uses ELU)."""

    def __init__(self, channels: int, *, act: Callable[[], nn.Module] = nn.ReLU) -> None:
        super().__init__()
        self.bn = BatchNormAct2d(channels, act=act)

    def forward(self, x: torch.Tensor | DualPath) -> torch.Tensor:
        return self.bn(torch.cat(x, 1) if isinstance(x, tuple) else x)


class DualPathBlock(nn.Module):
    """(B, Cin, H, W) tensor or dual-path pair -> (residual (B, num_1x1_c, H/s, W/s), dense
    (B, Cd + inc, H/s, W/s)). ``kind`` is "proj" (first block of stage 2: 1x1 projection ``c1x1_w_s1``),
    "down" (first block of stages 3-5: stride-2 projection ``c1x1_w_s2``) or "normal" (identity paths)."""

    def __init__(self, c1: int, num_1x1_a: int, num_3x3_b: int, num_1x1_c: int, inc: int, groups: int,
                 kind: str = "normal") -> None:
        super().__init__()
        if kind not in ("proj", "down", "normal"):
            raise ValueError(f"DualPathBlock kind must be proj, down or normal, got {kind!r}")
        self.num_1x1_c = num_1x1_c
        stride = 2 if kind == "down" else 1
        if kind == "proj":
            self.c1x1_w_s1 = BnActConv2d(c1, num_1x1_c + 2 * inc, 1, 1)
        elif kind == "down":
            self.c1x1_w_s2 = BnActConv2d(c1, num_1x1_c + 2 * inc, 1, 2)
        self.kind = kind
        self.c1x1_a = BnActConv2d(c1, num_1x1_a, 1, 1)
        self.c3x3_b = BnActConv2d(num_1x1_a, num_3x3_b, 3, stride, groups=groups)
        self.c1x1_c = BnActConv2d(num_3x3_b, num_1x1_c + inc, 1, 1)

    def forward(self, x: torch.Tensor | DualPath) -> DualPath:
        x_in = torch.cat(x, 1) if isinstance(x, tuple) else x
        if self.kind == "normal":
            if not isinstance(x, tuple):
                raise TypeError("a 'normal' DualPathBlock takes the (residual, dense) pair of a block")
            x_s1, x_s2 = x
        else:
            proj = self.c1x1_w_s1 if self.kind == "proj" else self.c1x1_w_s2
            x_s = proj(x_in)
            x_s1, x_s2 = x_s[:, : self.num_1x1_c], x_s[:, self.num_1x1_c:]
        y = self.c1x1_c(self.c3x3_b(self.c1x1_a(x_in)))
        return x_s1 + y[:, : self.num_1x1_c], torch.cat([x_s2, y[:, self.num_1x1_c:]], 1)
