"""EfficientNet-B0..B3 (Tan & Le 2019, "EfficientNet", Table 1 scaled by (width, depth) = (1.0, 1.0),
(1.0, 1.1), (1.1, 1.2), (1.2, 1.4)) and EfficientNetV2-S (Tan & Le 2021, "EfficientNetV2", Table 4), laid
out as torchvision's ``efficientnet_b0..b3`` / ``efficientnet_v2_s``: ``features.0`` (stem), ``features.1-7``
(B) / ``features.1-6`` (V2-S) stages of MBConv / Fused-MBConv blocks (``block.N``, ``stochastic_depth``),
``classifier.1``. Stochastic depth grows linearly from 0 to 0.2 over the blocks, as torchvision.

torchvision's last trunk layer (``features.8`` / ``features.7``, 1x1 conv to 1280 / 1408 / 1536) only serves
classification, so it lives in ``classifier()`` under the same key: the stride-32 map is the last stage's
output (320 / 320 / 352 / 384 channels for B0-B3, 256 for V2-S), not the 1280-wide head conv.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from studio.models.backbones.mobilenet import ConvPoolHead, TappedBackbone
from studio.models.blocks.conv_norm_act import ConvNormAct
from studio.models.blocks.fused_mbconv import FusedMBConv
from studio.models.blocks.init import init_conv_bn
from studio.models.blocks.inverted_residual import MBConv, make_divisible


@dataclass(frozen=True)
class Stage:
    """One stage row of EfficientNet Table 1 / EfficientNetV2 Table 4 (torchvision's ``MBConvConfig``)."""

    expand: int  # expansion ratio of the hidden width
    k: int  # kernel of the depthwise (MBConv) or fused (Fused-MBConv) conv
    s: int  # stride of the first block
    c1: int  # input channels (before width scaling)
    c2: int  # output channels (before width scaling)
    n: int  # blocks (before depth scaling)
    fused: bool = False  # Fused-MBConv, no SE (V2's early stages)


B_STAGES: tuple[Stage, ...] = (
    Stage(1, 3, 1, 32, 16, 1), Stage(6, 3, 2, 16, 24, 2), Stage(6, 5, 2, 24, 40, 2),
    Stage(6, 3, 2, 40, 80, 3), Stage(6, 5, 1, 80, 112, 3), Stage(6, 5, 2, 112, 192, 4),
    Stage(6, 3, 1, 192, 320, 1),
)
V2_S_STAGES: tuple[Stage, ...] = (
    Stage(1, 3, 1, 24, 24, 2, True), Stage(4, 3, 2, 24, 48, 4, True), Stage(4, 3, 2, 48, 64, 4, True),
    Stage(4, 3, 2, 64, 128, 6), Stage(6, 3, 1, 128, 160, 9), Stage(6, 3, 2, 160, 256, 15),
)
# name -> (width, depth, dropout) of the B family (torchvision / the paper's compound scaling)
B_SCALES = {"b0": (1.0, 1.0, 0.2), "b1": (1.0, 1.1, 0.2), "b2": (1.1, 1.2, 0.3), "b3": (1.2, 1.4, 0.3)}


def scaled_stages(stages: tuple[Stage, ...], width: float, depth: float) -> tuple[Stage, ...]:
    """Compound scaling: channels make_divisible(c * width, 8), blocks ceil(n * depth)."""
    return tuple(Stage(st.expand, st.k, st.s, make_divisible(st.c1 * width), make_divisible(st.c2 * width),
                       math.ceil(st.n * depth), st.fused) for st in stages)


def _stage(st: Stage, first_id: int, total: int, sd_prob: float, eps: float) -> nn.Sequential:
    """(B, c1, H, W) -> (B, c2, H / s, W / s): ``st.n`` blocks, block j's drop rate sd_prob * j / total."""
    blocks = []
    for i in range(st.n):
        c1, s, p = (st.c1 if i == 0 else st.c2), (st.s if i == 0 else 1), sd_prob * (first_id + i) / total
        expanded = make_divisible(c1 * st.expand)
        if st.fused:
            blocks.append(FusedMBConv(c1, st.c2, st.k, s, expanded=expanded, sd_prob=p, eps=eps))
        else:
            blocks.append(MBConv(c1, st.c2, st.k, s, expanded=expanded, se_squeeze=max(1, c1 // 4),
                                 sd_prob=p, eps=eps))
    return nn.Sequential(*blocks)


class EfficientNet(TappedBackbone):
    """(B, 3, H, W) RGB in [0, 1] -> {4, 8, 16, 32: (B, C, H / s, W / s)}; ``out_channels`` for B0 =
    {4: 24, 8: 40, 16: 112, 32: 320}. ``last_channel`` None means 4x the last stage (B family)."""

    act = "silu"

    def __init__(self, stages: tuple[Stage, ...] = B_STAGES, dropout: float = 0.2, sd_prob: float = 0.2,
                 last_channel: int | None = None, eps: float = 1e-5) -> None:
        layers: list[nn.Module] = [ConvNormAct(3, stages[0].c1, 3, 2, act=nn.SiLU, eps=eps)]
        strides, channels = [2], [stages[0].c1]
        total, first = sum(st.n for st in stages), 0
        for st in stages:
            layers.append(_stage(st, first, total, sd_prob, eps))
            first += st.n
            strides.append(strides[-1] * st.s)
            channels.append(st.c2)
        super().__init__(nn.Sequential(*layers), strides, channels)
        self.head_index, self.dropout, self.eps = len(layers), dropout, eps
        self.last_channel = last_channel or 4 * stages[-1].c2
        _efficientnet_init(self)

    def classifier(self, num_classes: int = 1000) -> ConvPoolHead:
        """``features.8`` / ``.7`` (1x1 ConvNormAct to ``last_channel``, SiLU), pool, ``classifier``
        (Dropout, Linear)."""
        conv = ConvNormAct(self.out_channels[32], self.last_channel, 1, act=nn.SiLU, eps=self.eps)
        fc = nn.Sequential(nn.Dropout(self.dropout), nn.Linear(self.last_channel, num_classes))
        head = ConvPoolHead("features", OrderedDict([(str(self.head_index), conv)]), fc)
        _efficientnet_init(head)
        return head


def _efficientnet_init(module: nn.Module) -> None:
    """torchvision's EfficientNet init: kaiming-normal (fan out) convs, BN 1 / 0, Linear U(+-1/sqrt(out)),
    zero biases."""
    init_conv_bn(module)
    for m in module.modules():
        if isinstance(m, nn.Linear):
            bound = 1.0 / math.sqrt(m.out_features)
            nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)


def _b(name: str, overrides: dict) -> EfficientNet:
    width, depth, dropout = B_SCALES[name]
    return EfficientNet(**{"stages": scaled_stages(B_STAGES, width, depth), "dropout": dropout, **overrides})


def efficientnet_b0(**overrides) -> EfficientNet:
    """EfficientNet-B0, 5.29 M parameters as a classifier (torchvision ``efficientnet_b0``)."""
    return _b("b0", overrides)


def efficientnet_b1(**overrides) -> EfficientNet:
    """EfficientNet-B1, 7.79 M parameters as a classifier (torchvision ``efficientnet_b1``)."""
    return _b("b1", overrides)


def efficientnet_b2(**overrides) -> EfficientNet:
    """EfficientNet-B2, 9.11 M parameters as a classifier (torchvision ``efficientnet_b2``)."""
    return _b("b2", overrides)


def efficientnet_b3(**overrides) -> EfficientNet:
    """EfficientNet-B3, 12.23 M parameters as a classifier (torchvision ``efficientnet_b3``)."""
    return _b("b3", overrides)


def efficientnetv2_s(**overrides) -> EfficientNet:
    """EfficientNetV2-S, 21.46 M parameters as a classifier (torchvision ``efficientnet_v2_s``): BN eps 1e-3,
    head conv to 1280."""
    return EfficientNet(**{"stages": V2_S_STAGES, "dropout": 0.2, "last_channel": 1280, "eps": 1e-3,
                           **overrides})
