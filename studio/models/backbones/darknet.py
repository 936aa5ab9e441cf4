"""Darknet backbones of the YOLO line, all conv + BatchNorm + leaky ReLU (their own activation stays inside;
``act`` = "silu" only tells the neck what to use):

- ``darknet19``: YOLO9000 (Redmon & Farhadi 2017, Table 6): 3x3 convs with 1x1 squeezes between 2x2 max
  pools, 1000-way 1x1 conv head and global average pool. No torchvision / timm model exists, so the names
  are ours (``stem.conv1``, ``stages.N.convM``, ``head.fc``). Leaky slope 0.1 as darknet.
- ``darknet53``: YOLOv3 (Redmon & Farhadi 2018, Table 1), and ``cspdarknet53``: its cross stage partial
  form (Wang et al. 2020, CSPNet), both laid out as timm's ``cspnet.py`` (``stem.conv1``, ``stages.0-4``,
  ``head.fc``) so timm state dicts load by name; leaky slope 0.01 as timm's ``leaky_relu``.

The stem runs at stride 1 and the five stages each halve the resolution: stages 1-4 give the
stride-4/8/16/32 maps.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from studio.models.blocks.dark_blocks import CrossStage, DarkBlock, DarkStage, dark_conv
from studio.models.blocks.normalize import ImageNetNormalize

DARKNET19_STAGES: tuple[tuple[int, ...], ...] = (  # widths after each 2x2 max pool; 3x3 and 1x1 alternate
    (64,), (128, 64, 128), (256, 128, 256), (512, 256, 512, 256, 512), (1024, 512, 1024, 512, 1024))


@dataclass(frozen=True)
class DarknetLayout:
    """Stem width and the (depth, width) of the five stride-2 stages (timm's ``CspStagesCfg``)."""

    stem: int = 32
    depths: tuple[int, ...] = (1, 2, 8, 8, 4)
    channels: tuple[int, ...] = (64, 128, 256, 512, 1024)


class DarknetBase(nn.Module):
    """``normalize`` -> ``stem`` -> ``stages`` (an nn.Sequential of five stride-2 stages); forward returns
    stages 1-4 as strides 4, 8, 16, 32. Subclasses build ``stem`` and ``stages``."""

    act = "silu"
    normalize: nn.Module
    stem: nn.Sequential
    stages: nn.Sequential
    out_channels: dict[int, int]

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) RGB in [0, 1] -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.stem(self.normalize(x))
        out: dict[int, torch.Tensor] = {}
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i >= 1:
                out[2 ** (i + 1)] = x
        return out


class Darknet(DarknetBase):
    """Darknet-53 (``cross_stage=False``) or CSPDarknet-53 (``cross_stage=True``), timm layout:
    (B, 3, H, W) -> {4: (B, 128, H/4, W/4), 8: 256, 16: 512, 32: (B, 1024, H/32, W/32)}."""

    def __init__(self, layout: DarknetLayout = DarknetLayout(), *, cross_stage: bool = False,
                 negative_slope: float = 0.01, zero_init_last: bool = True) -> None:
        super().__init__()
        act = partial(nn.LeakyReLU, negative_slope)
        self.normalize = ImageNetNormalize()
        self.stem = nn.Sequential(OrderedDict([("conv1", dark_conv(3, layout.stem, 3, 1, act))]))
        stages: list[nn.Module] = []
        c = layout.stem
        for i, (n, c2) in enumerate(zip(layout.depths, layout.channels, strict=True)):
            if not cross_stage:
                stages.append(DarkStage(c, c2, n, act))
            elif i == 0:  # CSPDarknet-53 stage 1: expand 2x, blocks at full width with bottleneck 0.5
                stages.append(CrossStage(c, c2, n, act, expand_ratio=2.0, bottle_ratio=0.5, block_ratio=1.0))
            else:
                stages.append(CrossStage(c, c2, n, act))
            c = c2
        self.stages = nn.Sequential(*stages)
        self.out_channels = {2 ** (i + 1): layout.channels[i] for i in range(1, 5)}
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif zero_init_last and isinstance(m, DarkBlock):
                nn.init.zeros_(m.conv2.bn.weight)

    def classifier(self, num_classes: int = 1000) -> PoolFcHead:
        """timm's ``ClassifierHead``: global average pool, ``head.fc`` Linear."""
        return PoolFcHead(self.out_channels[32], num_classes)


class PoolFcHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes): ``head`` = global pool, flatten, ``fc``."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        fc = nn.Linear(channels, num_classes)
        nn.init.normal_(fc.weight, 0.0, 0.01)
        nn.init.zeros_(fc.bias)
        self.head = nn.Sequential(OrderedDict([
            ("global_pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten(1)), ("fc", fc)]))

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.head(feats[32])


class Darknet19(DarknetBase):
    """Darknet-19 (YOLO9000 Table 6): (B, 3, H, W) -> {4: (B, 128, H/4, W/4), 8: 256, 16: 512,
    32: (B, 1024, H/32, W/32)}. Each stage is a 2x2 max pool then convs alternating 3x3 and 1x1."""

    def __init__(self, stages: tuple[tuple[int, ...], ...] = DARKNET19_STAGES, *, stem: int = 32,
                 negative_slope: float = 0.1) -> None:
        super().__init__()
        act = partial(nn.LeakyReLU, negative_slope)
        self.normalize = ImageNetNormalize()
        self.stem = nn.Sequential(OrderedDict([("conv1", dark_conv(3, stem, 3, 1, act))]))
        c, built = stem, []
        for widths in stages:
            layers: list[tuple[str, nn.Module]] = [("pool", nn.MaxPool2d(2, 2))]
            for j, c2 in enumerate(widths):
                layers.append((f"conv{j + 1}", dark_conv(c, c2, 1 if j % 2 else 3, 1, act)))
                c = c2
            built.append(nn.Sequential(OrderedDict(layers)))
        self.stages = nn.Sequential(*built)
        self.out_channels = {2 ** (i + 1): stages[i][-1] for i in range(1, 5)}
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)  # darknet: normal with std sqrt(2 / fan_in)

    def classifier(self, num_classes: int = 1000) -> Darknet19Head:
        """The paper's head: 1x1 conv to ``num_classes`` (with bias), global average pool."""
        return Darknet19Head(self.out_channels[32], num_classes)


class Darknet19Head(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes): ``head`` = 1x1 conv ``fc``, global pool."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.head = nn.Sequential(OrderedDict([
            ("fc", nn.Conv2d(channels, num_classes, 1)), ("global_pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten(1))]))

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.head(feats[32])


def darknet19(**overrides) -> Darknet19:
    """Darknet-19, 20.84 M parameters as a classifier (computed from YOLO9000 Table 6 with BatchNorm)."""
    return Darknet19(**overrides)


def darknet53(**overrides) -> Darknet:
    """Darknet-53, 41.61 M parameters as a classifier (timm ``darknet53``)."""
    return Darknet(**overrides)


def cspdarknet53(**overrides) -> Darknet:
    """CSPDarknet-53, 27.64 M parameters as a classifier (timm ``cspdarknet53``)."""
    return Darknet(**{"cross_stage": True, **overrides})
