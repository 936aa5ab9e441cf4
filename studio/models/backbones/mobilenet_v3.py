"""MobileNetV3-Large and -Small (Howard et al. 2019, "Searching for MobileNetV3", Tables 1 and 2), laid out
as torchvision's ``mobilenet_v3_large`` / ``mobilenet_v3_small``: ``features.0`` (stem, Hardswish),
``features.1-15`` (Large) / ``features.1-11`` (Small) inverted residuals (``block.N``), BN eps 1e-3,
momentum 0.01. torchvision's last trunk layer (``features.16`` / ``features.12``, 1x1 conv to 960 / 576)
only serves classification, so it lives in ``classifier()`` under the same key, beside ``classifier.0-3``
(the 1280 / 1024 hidden Linear, Hardswish, Dropout, Linear).

Maps: Large features 3 / 6 / 12 / 15 (24, 40, 112, 160 channels); Small features 1 / 3 / 8 / 11 (16, 24,
48, 96 channels).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from studio.models.backbones.mobilenet import ConvPoolHead, TappedBackbone, tv_init
from studio.models.blocks.conv_norm_act import ConvNormAct
from studio.models.blocks.inverted_residual import MBConv, make_divisible

BN = {"eps": 0.001, "momentum": 0.01}


@dataclass(frozen=True)
class Bneck:
    """One bottleneck row of the paper's Table 1 / 2 (torchvision's ``InvertedResidualConfig``)."""

    c1: int  # input channels
    k: int  # depthwise kernel
    expanded: int  # hidden width ("exp size")
    c2: int  # output channels
    se: bool  # squeeze-and-excitation (hidden make_divisible(expanded / 4, 8), Hardsigmoid gate)
    hs: bool  # Hardswish (else ReLU)
    s: int  # stride


LARGE: tuple[Bneck, ...] = (
    Bneck(16, 3, 16, 16, False, False, 1), Bneck(16, 3, 64, 24, False, False, 2),
    Bneck(24, 3, 72, 24, False, False, 1), Bneck(24, 5, 72, 40, True, False, 2),
    Bneck(40, 5, 120, 40, True, False, 1), Bneck(40, 5, 120, 40, True, False, 1),
    Bneck(40, 3, 240, 80, False, True, 2), Bneck(80, 3, 200, 80, False, True, 1),
    Bneck(80, 3, 184, 80, False, True, 1), Bneck(80, 3, 184, 80, False, True, 1),
    Bneck(80, 3, 480, 112, True, True, 1), Bneck(112, 3, 672, 112, True, True, 1),
    Bneck(112, 5, 672, 160, True, True, 2), Bneck(160, 5, 960, 160, True, True, 1),
    Bneck(160, 5, 960, 160, True, True, 1),
)
SMALL: tuple[Bneck, ...] = (
    Bneck(16, 3, 16, 16, True, False, 2), Bneck(16, 3, 72, 24, False, False, 2),
    Bneck(24, 3, 88, 24, False, False, 1), Bneck(24, 5, 96, 40, True, True, 2),
    Bneck(40, 5, 240, 40, True, True, 1), Bneck(40, 5, 240, 40, True, True, 1),
    Bneck(40, 5, 120, 48, True, True, 1), Bneck(48, 5, 144, 48, True, True, 1),
    Bneck(48, 5, 288, 96, True, True, 2), Bneck(96, 5, 576, 96, True, True, 1),
    Bneck(96, 5, 576, 96, True, True, 1),
)


def bneck_block(cfg: Bneck) -> MBConv:
    """(B, c1, H, W) -> (B, c2, H / s, W / s): torchvision's MobileNetV3 ``InvertedResidual``."""
    squeeze = make_divisible(cfg.expanded // 4, 8) if cfg.se else 0
    act = nn.Hardswish if cfg.hs else nn.ReLU
    return MBConv(cfg.c1, cfg.c2, cfg.k, cfg.s, expanded=cfg.expanded, act=act,
                  se_squeeze=squeeze, se_act=nn.ReLU, se_gate=nn.Hardsigmoid, **BN)


class MobileNetV3(TappedBackbone):
    """(B, 3, H, W) RGB in [0, 1] -> {4, 8, 16, 32: (B, C, H / s, W / s)}; ``setting`` is LARGE or SMALL,
    ``last_channel`` the classifier's hidden width (1280 / 1024)."""

    act = "silu"

    def __init__(self, setting: tuple[Bneck, ...] = LARGE, last_channel: int = 1280,
                 dropout: float = 0.2) -> None:
        layers: list[nn.Module] = [ConvNormAct(3, setting[0].c1, 3, 2, act=nn.Hardswish, **BN)]
        strides, channels = [2], [setting[0].c1]
        for cfg in setting:
            layers.append(bneck_block(cfg))
            strides.append(strides[-1] * cfg.s)
            channels.append(cfg.c2)
        super().__init__(nn.Sequential(*layers), strides, channels)
        self.head_index, self.last_channel, self.dropout = len(layers), last_channel, dropout
        tv_init(self)

    def classifier(self, num_classes: int = 1000) -> ConvPoolHead:
        """``features.16`` / ``.12`` (1x1 ConvNormAct to 6x, Hardswish), pool, ``classifier`` (Linear to
        ``last_channel``, Hardswish, Dropout, Linear)."""
        c = self.out_channels[32]
        tail = OrderedDict([(str(self.head_index), ConvNormAct(c, 6 * c, 1, act=nn.Hardswish, **BN))])
        fc = nn.Sequential(nn.Linear(6 * c, self.last_channel), nn.Hardswish(), nn.Dropout(self.dropout),
                           nn.Linear(self.last_channel, num_classes))
        head = ConvPoolHead("features", tail, fc)
        tv_init(head)
        return head


def mobilenet_v3_large(**overrides) -> MobileNetV3:
    """MobileNetV3-Large 1.0, 5.48 M parameters as a classifier (torchvision ``mobilenet_v3_large``)."""
    return MobileNetV3(**{"setting": LARGE, "last_channel": 1280, **overrides})


def mobilenet_v3_small(**overrides) -> MobileNetV3:
    """MobileNetV3-Small 1.0, 2.54 M parameters as a classifier (torchvision ``mobilenet_v3_small``)."""
    return MobileNetV3(**{"setting": SMALL, "last_channel": 1024, **overrides})
