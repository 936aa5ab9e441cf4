"""The ResNet trunk shared by the whole ResNet family of the zoo, and its plain members: ResNet-18/34/50/101
(He et al. 2016, "Deep Residual Learning for Image Recognition", CVPR, Table 1; the v1.5 bottleneck with
the stride on the 3x3 conv, as torchvision), ResNeXt-50 32x4d (Xie et al. 2017, "Aggregated Residual
Transformations for Deep Neural Networks", CVPR, Table 1) and SE-ResNet-50 (Hu et al. 2018,
"Squeeze-and-Excitation Networks", CVPR: SE with reduction 16 after the last BN of every bottleneck).

Laid out with torchvision's names (``conv1``, ``bn1``, ``layer1..4``, blocks ``conv1``/``bn1``/``conv2``/...,
shortcut ``downsample.0/1``); ``fc`` is the ``classifier()`` head. SE-ResNet-50 follows timm's
``seresnet50``: the SE module is ``se`` (``fc1``/``fc2`` with bias) and the stem and blocks keep the
torchvision names, so torchvision / timm state dicts load by name.

``ResNet`` takes the residual block class and a ``ResNetLayout``; Res2Net, ResNeSt and SKNet reuse it
with their own blocks (and layouts that extend ``ResNetLayout`` with the fields their blocks read). A
block is built as ``block(c1, planes, stride, downsample, layout)`` and has a class attribute
``expansion`` (output channels = planes * expansion) and, for timm's ``zero_init_last``, an optional
``zero_init_last()`` method.

The stride-4/8/16/32 maps are the outputs of ``layer1..4`` (C2-C5): {4: 256, 8: 512, 16: 1024, 32: 2048}
for the bottleneck nets, {4: 64, 8: 128, 16: 256, 32: 512} for ResNet-18/34.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.se import SqueezeExcitation

STAGE_PLANES = (64, 128, 256, 512)  # the "planes" of layer1..4 (bottleneck widths at width_per_group 64)


@dataclass(frozen=True)
class ResNetLayout:
    layers: tuple[int, ...] = (3, 4, 6, 3)  # residual blocks in layer1..4
    groups: int = 1  # cardinality of the 3x3 conv (ResNeXt: 32)
    width_per_group: int = 64  # bottleneck width = planes * width_per_group / 64 * groups
    deep_stem: bool = False  # ResNet-C/D stem: three 3x3 convs (stem_width, stem_width, 2 * stem_width)
    stem_width: int = 32  # width of the deep stem's first two convs
    avg_down: bool = False  # ResNet-D shortcut: 2x2 average pool, then the 1x1 projection
    se_reduction: int = 0  # squeeze-and-excitation after each block's last BN (0: none; SE-ResNet: 16)
    zero_init_last: bool = False  # zero the last BN weight of every residual branch (timm's default)


def downsample(c1: int, c2: int, stride: int, avg_down: bool) -> nn.Sequential:
    """The projection shortcut (B, c1, H, W) -> (B, c2, H / stride, W / stride): torchvision's strided 1x1
    conv + BN (``downsample.0/1``), or with ``avg_down`` timm's ResNet-D average pool (``downsample.0``,
    the identity at stride 1), 1x1 conv and BN (``downsample.1/2``)."""
    if not avg_down:
        return nn.Sequential(nn.Conv2d(c1, c2, 1, stride, bias=False), nn.BatchNorm2d(c2))
    pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
    return nn.Sequential(pool, nn.Conv2d(c1, c2, 1, bias=False), nn.BatchNorm2d(c2))


class BasicBlock(nn.Module):
    """(B, c1, H, W) -> (B, planes, H / stride, W / stride): two 3x3 conv + BN (ResNet-18/34, Fig. 5 left),
    the stride on the first, plus the (projected) input, then ReLU."""

    expansion = 1

    def __init__(self, c1: int, planes: int, stride: int, downsample: nn.Module | None,
                 layout: ResNetLayout) -> None:
        super().__init__()
        if layout.groups != 1 or layout.width_per_group != 64 or layout.se_reduction:
            raise ValueError("BasicBlock supports only groups=1, width_per_group=64 and no SE")
        self.conv1 = nn.Conv2d(c1, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class Bottleneck(nn.Module):
    """(B, c1, H, W) -> (B, 4 * planes, H / stride, W / stride): 1x1 reduce, 3x3 (grouped for ResNeXt,
    with the stride: v1.5), 1x1 expand, each with BN; optional SE (``se``) on the branch; plus the
    (projected) input, then ReLU."""

    expansion = 4

    def __init__(self, c1: int, planes: int, stride: int, downsample: nn.Module | None,
                 layout: ResNetLayout) -> None:
        super().__init__()
        width = int(planes * (layout.width_per_group / 64.0)) * layout.groups
        c2 = planes * self.expansion
        self.conv1 = nn.Conv2d(c1, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=layout.groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, c2, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c2)
        self.se = SqueezeExcitation(c2, c2 // layout.se_reduction) if layout.se_reduction else None
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def zero_init_last(self) -> None:
        nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.se is not None:
            out = self.se(out)
        return self.relu(out + identity)


def stem(layout: ResNetLayout) -> nn.Module:
    """``conv1`` of the trunk, (B, 3, H, W) -> (B, C, H/2, W/2): the 7x7 stride-2 conv (C = 64), or the
    deep stem (timm ``stem_type='deep'``: 3x3 s2 conv, BN, ReLU, 3x3 conv, BN, ReLU, 3x3 conv; C =
    2 * stem_width). ``bn1`` and ReLU follow in the trunk."""
    if not layout.deep_stem:
        return nn.Conv2d(3, 64, 7, 2, 3, bias=False)
    w = layout.stem_width
    return nn.Sequential(
        nn.Conv2d(3, w, 3, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
        nn.Conv2d(w, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
        nn.Conv2d(w, 2 * w, 3, 1, 1, bias=False),
    )


class ResNet(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, C2, H/4, W/4), 8: (B, C3, H/8, W/8), 16: (B, C4, H/16, W/16),
    32: (B, C5, H/32, W/32)}, the outputs of ``layer1..4``; ``out_channels`` = {4: 64 e, 8: 128 e,
    16: 256 e, 32: 512 e} with e the block's ``expansion``. ``block`` is the residual block class (see the
    module docstring for its constructor)."""

    act = "relu"

    def __init__(self, block: type[nn.Module], layout: ResNetLayout) -> None:
        super().__init__()
        if len(layout.layers) != len(STAGE_PLANES):
            raise ValueError(f"a ResNet layout needs 4 stages, got {layout.layers}")
        self.normalize = ImageNetNormalize()
        self.conv1 = stem(layout)
        c1 = 2 * layout.stem_width if layout.deep_stem else 64
        self.bn1 = nn.BatchNorm2d(c1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.out_channels: dict[int, int] = {}
        for i, (n, planes) in enumerate(zip(layout.layers, STAGE_PLANES, strict=True)):
            stride, c2 = 1 if i == 0 else 2, planes * block.expansion
            short = downsample(c1, c2, stride, layout.avg_down) if stride != 1 or c1 != c2 else None
            blocks = [block(c1, planes, stride, short, layout)]
            blocks += [block(c2, planes, 1, None, layout) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            self.out_channels[4 * 2**i], c1 = c2, c2
        self._init_weights(layout.zero_init_last)

    def _init_weights(self, zero_init_last: bool) -> None:
        """torchvision / timm: Kaiming normal (fan_out) convs, BN weight 1 and bias 0, and with
        ``zero_init_last`` the last BN of each residual branch zeroed (blocks start as identities)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_last:
            for m in self.modules():
                if hasattr(m, "zero_init_last"):
                    m.zero_init_last()

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(self.normalize(x)))))
        out: dict[int, torch.Tensor] = {}
        for stride, layer in zip(self.out_channels, (self.layer1, self.layer2, self.layer3, self.layer4),
                                 strict=True):
            x = layer(x)
            out[stride] = x
        return out

    def classifier(self, num_classes: int = 1000) -> ResNetHead:
        """torchvision's / timm's head: global average pool, ``fc``."""
        return ResNetHead(self.out_channels[32], num_classes)


class ResNetHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes): global average pool and ``fc`` (Linear C ->
    num_classes, PyTorch's default init as torchvision)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.fc(feats[32].mean(dim=(2, 3)))


RESNET18 = ResNetLayout(layers=(2, 2, 2, 2))
RESNET34 = ResNetLayout(layers=(3, 4, 6, 3))
RESNET50 = ResNetLayout(layers=(3, 4, 6, 3))
RESNET101 = ResNetLayout(layers=(3, 4, 23, 3))
RESNEXT50_32X4D = ResNetLayout(layers=(3, 4, 6, 3), groups=32, width_per_group=4)
SE_RESNET50 = ResNetLayout(layers=(3, 4, 6, 3), se_reduction=16, zero_init_last=True)


def resnet18(**overrides) -> ResNet:
    """ResNet-18, 11.69 M parameters as a classifier (torchvision ``resnet18``). Overrides are
    ``ResNetLayout`` fields."""
    return ResNet(BasicBlock, replace(RESNET18, **overrides))


def resnet34(**overrides) -> ResNet:
    """ResNet-34, 21.80 M parameters as a classifier (torchvision ``resnet34``)."""
    return ResNet(BasicBlock, replace(RESNET34, **overrides))


def resnet50(**overrides) -> ResNet:
    """ResNet-50 (v1.5), 25.56 M parameters as a classifier (torchvision ``resnet50``)."""
    return ResNet(Bottleneck, replace(RESNET50, **overrides))


def resnet101(**overrides) -> ResNet:
    """ResNet-101 (v1.5), 44.55 M parameters as a classifier (torchvision ``resnet101``)."""
    return ResNet(Bottleneck, replace(RESNET101, **overrides))


def resnext50_32x4d(**overrides) -> ResNet:
    """ResNeXt-50 32x4d, 25.03 M parameters as a classifier (torchvision ``resnext50_32x4d``)."""
    return ResNet(Bottleneck, replace(RESNEXT50_32X4D, **overrides))


def se_resnet50(**overrides) -> ResNet:
    """SE-ResNet-50 (reduction 16), 28.09 M parameters as a classifier (timm ``seresnet50``; Hu et al.
    2018: 28.1 M)."""
    return ResNet(Bottleneck, replace(SE_RESNET50, **overrides))
