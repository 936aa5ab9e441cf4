"""MobileNet-V1 (Howard et al. 2017, "MobileNets", Table 1, width 1.0) and MobileNet-V2 (Sandler et al.
2018, "MobileNetV2", Table 2, width 1.0), plus the torchvision-style trunk and head the mobile families
share (``TappedBackbone``, ``ConvPoolHead``).

* ``mobilenet_v2`` mirrors torchvision: ``features.0`` (stem), ``features.1-17`` (inverted residuals),
  ``classifier.1``. torchvision's ``features.18`` (1x1 conv 320 -> 1280) only serves classification, so it
  lives in ``classifier()`` under the same key. Maps: features 3 / 6 / 13 / 17 (24, 32, 96, 320 channels).
* ``mobilenet_v1`` is not in torchvision; it mirrors timm's ``mobilenetv1_100`` (``conv_stem``, ``bn1``,
  ``blocks.S.B.conv_dw/bn1/conv_pw/bn2``, ``classifier``; ReLU6 as TF-slim and timm train it). Maps:
  blocks 1-4 (128, 256, 512, 1024 channels).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.conv_norm_act import ConvNormAct
from studio.models.blocks.depthwise_separable import DepthwiseSeparable
from studio.models.blocks.init import init_conv_bn
from studio.models.blocks.inverted_residual import InvertedResidual, make_divisible
from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.taps import run_tapped

# MobileNetV2 Table 2: (expand t, channels c, repeats n, first stride s) per stage, after a stride-2 stem
V2_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
# MobileNet-V1 Table 1 as timm's stages: (channels, repeats, first stride), after a stride-2 stem of 32
V1_SETTING: tuple[tuple[int, int, int], ...] = (
    (64, 1, 1), (128, 2, 2), (256, 2, 2), (512, 6, 2), (1024, 2, 2),
)


def tv_init(module: nn.Module, linear_std: float = 0.01) -> None:
    """torchvision's MobileNet init: kaiming-normal (fan out) convs, BN 1 / 0, Linear N(0, std), zero
    biases."""
    init_conv_bn(module)
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, linear_std)
            nn.init.zeros_(m.bias)


class TappedBackbone(nn.Module):
    """A torchvision-style trunk: one Sequential (``features``, or ``layers`` for MnasNet) run in order;
    the stride-s map is the output of its last child at stride s. ``strides`` / ``channels`` give each
    child's output stride and channels. (B, 3, H, W) -> {s: (B, out_channels[s], H / s, W / s)}."""

    def __init__(self, trunk: nn.Sequential, strides: list[int], channels: list[int],
                 trunk_name: str = "features") -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.trunk_name = trunk_name
        setattr(self, trunk_name, trunk)
        last = {s: i for i, s in enumerate(strides) if s >= 4}
        self.taps = {i: s for s, i in last.items()}
        self.out_channels = {s: channels[i] for s, i in sorted(last.items())}

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) RGB in [0, 1] -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        return run_tapped(getattr(self, self.trunk_name), self.normalize(x), self.taps)


class ConvPoolHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes): the published trunk's last layers ``tail`` (kept
    under their torchvision key, e.g. ``features.18``), global average pool, ``classifier`` Sequential."""

    def __init__(self, trunk_name: str, tail: OrderedDict[str, nn.Module], classifier: nn.Module) -> None:
        super().__init__()
        self.trunk_name = trunk_name
        setattr(self, trunk_name, nn.Sequential(tail))
        self.classifier = classifier

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        x = getattr(self, self.trunk_name)(feats[32])
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MobileNetV2(TappedBackbone):
    """torchvision ``mobilenet_v2`` trunk; ``out_channels`` = {4: 24, 8: 32, 16: 96, 32: 320} at width 1."""

    act = "relu"

    def __init__(self, width_mult: float = 1.0, dropout: float = 0.2) -> None:
        c = make_divisible(32 * width_mult)
        layers: list[nn.Module] = [ConvNormAct(3, c, 3, 2, act=nn.ReLU6)]
        strides, channels, stride = [2], [c], 2
        for t, ch, n, s in V2_SETTING:
            c2 = make_divisible(ch * width_mult)
            for i in range(n):
                layers.append(InvertedResidual(c, c2, s if i == 0 else 1, t))
                stride *= s if i == 0 else 1
                c = c2
                strides.append(stride)
                channels.append(c)
        super().__init__(nn.Sequential(*layers), strides, channels)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult))
        self.head_index, self.dropout = len(layers), dropout
        tv_init(self)

    def classifier(self, num_classes: int = 1000) -> ConvPoolHead:
        """``features.18`` (1x1 ConvNormAct to 1280, ReLU6), pool, ``classifier`` (Dropout, Linear)."""
        tail = OrderedDict([(str(self.head_index),
                             ConvNormAct(self.out_channels[32], self.last_channel, 1, act=nn.ReLU6))])
        head = ConvPoolHead("features", tail, nn.Sequential(nn.Dropout(self.dropout),
                                                            nn.Linear(self.last_channel, num_classes)))
        tv_init(head)
        return head


class MobileNetV1(nn.Module):
    """timm ``mobilenetv1_100`` trunk; (B, 3, H, W) -> {4: (B, 128, H/4, W/4), ..., 32: (B, 1024, H/32,
    W/32)}."""

    act = "relu"

    def __init__(self, width_mult: float = 1.0) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        c = make_divisible(32 * width_mult)
        self.conv_stem = nn.Conv2d(3, c, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.act1 = nn.ReLU6()
        stages, self.out_channels, stride = [], {}, 2
        for ch, n, s in V1_SETTING:
            c2 = make_divisible(ch * width_mult)
            stages.append(nn.Sequential(*(DepthwiseSeparable(c if i == 0 else c2, c2, s if i == 0 else 1)
                                          for i in range(n))))
            c, stride = c2, stride * s
            if stride >= 4:
                self.out_channels[stride] = c
        self.blocks = nn.Sequential(*stages)
        _goog_init(self)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) RGB in [0, 1] -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.act1(self.bn1(self.conv_stem(self.normalize(x))))
        out: dict[int, torch.Tensor] = {}
        stride = 2
        for (_, _, s), stage in zip(V1_SETTING, self.blocks, strict=True):
            x, stride = stage(x), stride * s
            if stride >= 4:
                out[stride] = x
        return out

    def classifier(self, num_classes: int = 1000) -> nn.Module:
        """timm's head: global average pool, ``classifier`` Linear(1024, num_classes)."""
        head = V1Head(self.out_channels[32], num_classes)
        _goog_init(head)
        return head


class V1Head(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(feats[32], 1), 1))


def _goog_init(module: nn.Module) -> None:
    """timm's ``_init_weight_goog``: conv N(0, sqrt(2 / fan_out)) with fan_out = k*k*out/groups, BN 1 / 0,
    Linear U(-1/sqrt(out), 1/sqrt(out)), zero biases (all from shapes: works on the meta device)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
            nn.init.normal_(m.weight, 0, (2.0 / fan_out) ** 0.5)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            bound = 1.0 / m.out_features**0.5
            nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)


def mobilenet_v1(**overrides) -> MobileNetV1:
    """MobileNet-V1 1.0, 4.23 M parameters as a classifier (paper Table 8: 4.2 M; timm
    ``mobilenetv1_100``)."""
    return MobileNetV1(**overrides)


def mobilenet_v2(**overrides) -> MobileNetV2:
    """MobileNet-V2 1.0, 3.50 M parameters as a classifier (torchvision ``mobilenet_v2``)."""
    return MobileNetV2(**overrides)
