"""DPN-68 (Chen et al. 2017, "Dual Path Networks", Table 1), laid out as timm's ``dpn68``: one
``features`` Sequential of ``conv1_1`` (3x3 stride-2 stem, "small" variant), ``conv1_pool``, then dual
path blocks ``conv2_1 .. conv5_3``. timm's final ``features.conv5_bn_ac`` (BN + ELU) only serves
classification, so it lives in ``classifier()`` under the same key, beside the 1x1-conv ``classifier``.

The stride-4/8/16/32 maps are the last block of stages conv2..conv5 with its residual and dense paths
concatenated (timm's ``feature_concat``): 144, 320, 704, 832 channels for DPN-68.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from studio.models.blocks.basic_conv import BasicConv2d
from studio.models.blocks.dual_path import CatBnAct, DualPathBlock
from studio.models.blocks.normalize import ImageNetNormalize


@dataclass(frozen=True)
class DPNLayout:
    """A DPN's widths and depths (the paper's Table 1; timm's constructor arguments)."""

    k_sec: tuple[int, int, int, int] = (3, 4, 12, 3)  # blocks in stages conv2..conv5
    inc_sec: tuple[int, int, int, int] = (16, 32, 32, 64)  # dense-path growth per block in each stage
    k_r: int = 128  # width of the 1x1 / grouped 3x3 convs in stage conv2 (times 2 per later stage)
    groups: int = 32  # groups of the 3x3 conv
    num_init_features: int = 10  # stem width
    small: bool = True  # 3x3 stem and bottleneck width factor 1 (DPN-68) instead of 7x7 and 4


DPN68 = DPNLayout()


def _stage(c1: int, stage: int, layout: DPNLayout) -> tuple[list[tuple[str, nn.Module]], int]:
    """The named blocks of stage conv{stage} (2..5) and the channels they output (both paths)."""
    i = stage - 2
    factor = 1 if layout.small else 4
    bw, inc = 64 * 2**i * factor, layout.inc_sec[i]
    r = layout.k_r * bw // (64 * factor)
    first = DualPathBlock(c1, r, r, bw, inc, layout.groups, "proj" if i == 0 else "down")
    blocks = [(f"conv{stage}_1", first)]
    c = bw + 3 * inc
    for j in range(2, layout.k_sec[i] + 1):
        blocks.append((f"conv{stage}_{j}", DualPathBlock(c, r, r, bw, inc, layout.groups, "normal")))
        c += inc
    return blocks, c


class DPN(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, C4, H/4, W/4), ..., 32: (B, C32, H/32, W/32)}."""

    act = "relu"

    def __init__(self, layout: DPNLayout = DPN68) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        stem = layout.num_init_features
        k = 3 if layout.small else 7
        blocks: list[tuple[str, nn.Module]] = [
            ("conv1_1", BasicConv2d(3, stem, k, 2, (k - 1) // 2, eps=1e-3)),
            ("conv1_pool", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]
        c = stem
        self.out_channels: dict[int, int] = {}
        self._taps: dict[str, int] = {}  # name of each stage's last block -> stride
        for stage in range(2, 6):
            named, c = _stage(c, stage, layout)
            blocks += named
            self.out_channels[2**stage] = c
            self._taps[named[-1][0]] = 2**stage
        self.features = nn.Sequential(OrderedDict(blocks))

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        y: torch.Tensor | tuple[torch.Tensor, torch.Tensor] = self.normalize(x)
        out: dict[int, torch.Tensor] = {}
        for name, layer in self.features.named_children():
            y = layer(y)
            if name in self._taps:
                out[self._taps[name]] = torch.cat(y, 1)
        return out

    def classifier(self, num_classes: int = 1000) -> DPNHead:
        """timm's head: ``features.conv5_bn_ac`` (BN + ELU), global average pool, 1x1 conv ``classifier``."""
        return DPNHead(self.out_channels[32], num_classes)


class DPNHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([("conv5_bn_ac", CatBnAct(channels, act=nn.ELU))]))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Conv2d(channels, num_classes, kernel_size=1, bias=True)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return torch.flatten(self.classifier(self.global_pool(self.features(feats[32]))), 1)


def dpn68(**overrides) -> DPN:
    """DPN-68, 12.61 M parameters as a classifier (timm ``dpn68``)."""
    return DPN(**overrides)
