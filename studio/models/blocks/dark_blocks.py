"""Darknet-53 residual stages (Redmon & Farhadi 2018, "YOLOv3", Table 1) and their cross stage partial
form (Wang et al. 2020, "CSPNet", Figure 2), named as timm's ``cspnet.py`` (``DarkBlock``, ``DarkStage``,
``CrossStage``: ``conv_down``, ``conv_exp``, ``blocks.N``, ``conv_transition_b``, ``conv_transition``),
so timm's ``darknet53`` / ``cspdarknet53`` state dicts load by name. Every conv is a ``BasicConv2d``
(``conv`` / ``bn`` / ``act``, timm's ``ConvNormAct`` keys) with "same" padding."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from studio.models.blocks.basic_conv import BasicConv2d

Act = Callable[[], nn.Module]


def dark_conv(c1: int, c2: int, k: int, s: int, act: Act) -> BasicConv2d:
    """(B, c1, H, W) -> (B, c2, H / s, W / s): conv k x k, BN (eps 1e-5), ``act``."""
    return BasicConv2d(c1, c2, k, s, None, act=act, eps=1e-5)


class DarkBlock(nn.Module):
    """(B, C, H, W) -> (B, C, H, W): x + conv3x3(conv1x1(x)), the 1x1 to ``round(C * bottle_ratio)``."""

    def __init__(self, c: int, bottle_ratio: float, act: Act) -> None:
        super().__init__()
        mid = round(c * bottle_ratio)
        self.conv1 = dark_conv(c, mid, 1, 1, act)
        self.conv2 = dark_conv(mid, c, 3, 1, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.conv1(x))


class DarkStage(nn.Module):
    """(B, c1, H, W) -> (B, c2, H/2, W/2): 3x3 stride-2 ``conv_down``, then ``depth`` DarkBlocks with
    bottleneck ratio 0.5 (Darknet-53)."""

    def __init__(self, c1: int, c2: int, depth: int, act: Act) -> None:
        super().__init__()
        self.conv_down = dark_conv(c1, c2, 3, 2, act)
        self.blocks = nn.Sequential(*[DarkBlock(c2, 0.5, act) for _ in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.conv_down(x))


class CrossStage(nn.Module):
    """(B, c1, H, W) -> (B, c2, H/2, W/2): 3x3 stride-2 ``conv_down`` to c2, 1x1 ``conv_exp`` to
    ``c2 * expand_ratio`` split in halves; the second half runs ``depth`` DarkBlocks of width
    ``c2 * block_ratio`` and ``conv_transition_b``; both halves concatenate into ``conv_transition``.
    CSPDarknet-53: stage 1 expands 2x with bottleneck 0.5, later stages expand 1x with block ratio 0.5."""

    def __init__(self, c1: int, c2: int, depth: int, act: Act, *, expand_ratio: float = 1.0,
                 bottle_ratio: float = 1.0, block_ratio: float = 0.5) -> None:
        super().__init__()
        self.expand_chs = exp = round(c2 * expand_ratio)
        width = round(c2 * block_ratio)
        if width != exp // 2:
            raise ValueError(f"CrossStage blocks need width expand/2 = {exp // 2}, got {width}")
        self.conv_down = dark_conv(c1, c2, 3, 2, act)
        self.conv_exp = dark_conv(c2, exp, 1, 1, act)
        self.blocks = nn.Sequential(*[DarkBlock(width, bottle_ratio, act) for _ in range(depth)])
        self.conv_transition_b = dark_conv(width, exp // 2, 1, 1, act)
        self.conv_transition = dark_conv(exp, c2, 1, 1, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_exp(self.conv_down(x))
        xs, xb = x.split(self.expand_chs // 2, dim=1)
        xb = self.conv_transition_b(self.blocks(xb))
        return self.conv_transition(torch.cat([xs, xb], dim=1))
