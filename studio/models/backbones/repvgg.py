"""EfficientRep backbone after YOLOv6: RepVGG blocks (a single 3x3 conv + ReLU each once fused, the fastest
kind of layer on CPUs and GPUs), RepBlock stages, SimSPPF; scaled by width and depth.

stem RepConv s2 -> [RepConv s2, (CSP-)RepBlock] x 4 -> SimSPPF; returns the stride 8, 16 and 32 maps.
"""

from __future__ import annotations

from torch import nn

from studio.models.backbones.staged import StagedBackbone
from studio.models.layers import SPPF, make_divisible, scaled_depth
from studio.models.rep import CSPRepBlock, RepBlock, RepConv

BASE_CHANNELS = (64, 128, 256, 512, 1024)  # stem, then stages at strides 4, 8, 16, 32 (width 1.0)
BASE_DEPTHS = (3, 6, 9, 3)  # RepConvs in the RepBlock of each stage (depth 1.0)


class RepVGGBackbone(StagedBackbone):
    """(B, 3, H, W) -> {8: (B, C8, H/8, W/8), 16: ..., 32: ...}; ``out_channels`` gives C8, C16, C32.
    ``csp_e``: stages are CSP-wrapped RepBlocks running on ``csp_e`` of the channels (YOLOv6 m/l style);
    None gives plain RepBlocks on all channels (YOLOv6 n/s style, about 4x the FLOPs per block)."""

    def __init__(self, width: float = 0.25, depth: float = 0.33, *, act: str = "relu",
                 channels: tuple[int, ...] = BASE_CHANNELS, depths: tuple[int, ...] = BASE_DEPTHS,
                 csp_e: float | None = 0.5, max_channels: int = 1024) -> None:
        super().__init__()
        self.act = act
        ch = [make_divisible(min(c, max_channels) * width) for c in channels]
        self.stem = RepConv(3, ch[0], 2, act=act)
        stages = []
        for i, base in enumerate(depths):
            c1, c2, n = ch[i], ch[i + 1], scaled_depth(base, depth)
            block = RepBlock(c2, c2, n, act=act) if csp_e is None else CSPRepBlock(c2, c2, n, csp_e, act=act)
            layers = [RepConv(c1, c2, 2, act=act), block]
            if i == len(depths) - 1:
                layers.append(SPPF(c2, c2, act=act))  # SimSPPF when act is relu
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        self.out_channels = {8: ch[2], 16: ch[3], 32: ch[4]}


def repvgg(width: float, depth: float, **overrides) -> RepVGGBackbone:
    """The registry constructor: ``BACKBONES["repvgg"](width, depth, **overrides)``."""
    return RepVGGBackbone(width, depth, **overrides)
