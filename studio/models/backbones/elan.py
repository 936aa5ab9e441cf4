"""ELAN backbone after YOLOv7 (efficient layer aggregation stages), scaled by width and depth.

stem 3x3 s2 -> [down s2, ELAN] x 4 -> SPPF; returns the stride 8, 16 and 32 maps.
"""

from __future__ import annotations

from torch import nn

from studio.models.backbones.staged import StagedBackbone
from studio.models.layers import ELAN, SPPF, Conv, MPDown, make_divisible, scaled_depth

BASE_CHANNELS = (64, 128, 256, 512, 1024)  # stem, then stages at strides 4, 8, 16, 32 (width 1.0)
BASE_DEPTHS = (3, 6, 6, 3)  # 3x3 convs in the ELAN of each stage (depth 1.0)


class ELANBackbone(StagedBackbone):
    """(B, 3, H, W) -> {8: (B, C8, H/8, W/8), 16: (B, C16, ...), 32: (B, C32, ...)}; ``out_channels`` gives
    C8, C16, C32. ``down`` is "conv" (3x3 stride-2 Conv) or "mp" (YOLOv7's max-pool + conv transition)."""

    def __init__(self, width: float = 0.25, depth: float = 0.33, *, act: str = "silu",
                 channels: tuple[int, ...] = BASE_CHANNELS, depths: tuple[int, ...] = BASE_DEPTHS,
                 down: str = "conv", e: float = 0.5, max_channels: int = 1024) -> None:
        super().__init__()
        self.act = act
        ch = [make_divisible(min(c, max_channels) * width) for c in channels]
        self.stem = Conv(3, ch[0], 3, 2, act=act)
        stages = []
        for i, base in enumerate(depths):
            c1, c2 = ch[i], ch[i + 1]
            first = Conv(c1, c2, 3, 2, act=act) if down == "conv" or i == 0 else MPDown(c1, c2, act=act)
            layers = [first, ELAN(c2, c2, scaled_depth(base, depth), e=e, act=act)]
            if i == len(depths) - 1:
                layers.append(SPPF(c2, c2, act=act))
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        self.out_channels = {8: ch[2], 16: ch[3], 32: ch[4]}


def elan(width: float, depth: float, **overrides) -> ELANBackbone:
    """The registry constructor: ``BACKBONES["elan"](width, depth, **overrides)``."""
    return ELANBackbone(width, depth, **overrides)
