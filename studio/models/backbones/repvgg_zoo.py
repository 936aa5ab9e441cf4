"""RepVGG-A0 (Ding et al. 2021, "RepVGG: Making VGG-style ConvNets Great Again", Table 2: a = 0.75, b = 2.5,
widths 48/48/96/192/1280, blocks 1/2/4/14/1), named as the authors' code (DingXiaoH/RepVGG: ``stage0`` (one
block), ``stage1``-``stage4`` (Sequentials), head ``linear``). It is built in the training form (3x3, 1x1 and
identity branches: 9.11 M parameters as a classifier); ``fuse()`` turns every block into one 3x3 conv with
bias, the deploy form of the published 8.30 M. Each stage opens with a stride-2 block, so the stride-4/8/16/32
maps are the outputs of stages 1-4 (48, 96, 192, 1280 channels).

(The YOLOv6-style ``repvgg`` backbone of the detectors is ``backbones/repvgg.py``; this is the ImageNet net.)
"""

from __future__ import annotations

import torch
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.repvgg_block import RepVGGBlock


class RepVGG(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 48, H/4, W/4), 8: (B, 96, H/8, W/8), 16: (B, 192, H/16, W/16),
    32: (B, 1280, H/32, W/32)} for A0."""

    act = "relu"

    def __init__(self, num_blocks: tuple[int, int, int, int] = (2, 4, 14, 1),
                 width_multiplier: tuple[float, float, float, float] = (0.75, 0.75, 0.75, 2.5)) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        c = min(64, int(64 * width_multiplier[0]))
        self.stage0 = RepVGGBlock(3, c, s=2)
        self.out_channels: dict[int, int] = {}
        for i, (n, base) in enumerate(zip(num_blocks, (64, 128, 256, 512), strict=True)):
            c2 = int(base * width_multiplier[i])
            blocks = [RepVGGBlock(c if j == 0 else c2, c2, s=2 if j == 0 else 1) for j in range(n)]
            setattr(self, f"stage{i + 1}", nn.Sequential(*blocks))
            self.out_channels[4 * 2**i] = c = c2

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.stage0(self.normalize(x))
        out: dict[int, torch.Tensor] = {}
        for i in range(4):
            x = getattr(self, f"stage{i + 1}")(x)
            out[4 * 2**i] = x
        return out

    def fuse(self) -> RepVGG:
        """Fold every block's branches into one 3x3 conv with bias (the deploy form; eval-mode outputs are
        unchanged up to float rounding). Idempotent; returns self."""
        for m in self.modules():
            if isinstance(m, RepVGGBlock):
                m.fuse()
        return self

    def classifier(self, num_classes: int = 1000) -> RepVGGHead:
        """The reference head: global average pool (``gap``) and ``linear``."""
        return RepVGGHead(self.out_channels[32], num_classes)


class RepVGGHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(channels, num_classes)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.linear(feats[32].mean((2, 3)))


def repvgg_a0(**overrides) -> RepVGG:
    """RepVGG-A0 in its training form; 8.30 M parameters as a classifier once ``fuse()``d (paper Table 3),
    9.11 M before."""
    return RepVGG(**overrides)
