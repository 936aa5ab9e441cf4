"""ShuffleNet v1 and v2.

- ``shufflenet_v1_g3``: ShuffleNet 1x, g = 3 (Zhang et al. 2018, "ShuffleNet: An Extremely Efficient
  Convolutional Neural Network for Mobile Devices", Table 1: 24-channel 3x3 s2 stem, 3x3 s2 max pool, stages
  of 4/8/4 units with 240/480/960 channels, bottleneck = out / 4, the first 1x1 conv of stage 2 not grouped),
  named as the authors' reference code (megvii-model/ShuffleNet-Series ``ShuffleNetV1``: ``first_conv``,
  ``maxpool``, ``features.N``; head ``classifier.0``, a Linear without bias).
- ``shufflenet_v2_x1_0``: ShuffleNet V2 1x (Ma et al. 2018, Table 5), named as torchvision's
  ``shufflenet_v2_x1_0`` (``conv1``, ``maxpool``, ``stage2``-``stage4``; ``conv5`` and ``fc`` only serve
  classification and live in ``classifier()`` under the same keys).

The stride-4 map is the max pool's output; strides 8/16/32 are the outputs of stages 2/3/4.
"""

from __future__ import annotations

import torch
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.shuffle_units import InvertedResidual, ShuffleV1Block


def _stem(c: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True))


class ShuffleNetV1(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 24, H/4, W/4), 8: (B, 240, H/8, W/8), 16: (B, 480, ...),
    32: (B, 960, H/32, W/32)} for 1x, g = 3."""

    act = "relu"

    def __init__(self, group: int = 3, channels: tuple[int, int, int, int] = (24, 240, 480, 960),
                 repeats: tuple[int, int, int] = (4, 8, 4)) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.first_conv = _stem(channels[0])
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        blocks: list[nn.Module] = []
        self._taps: dict[int, int] = {}
        c1 = channels[0]
        for stage, (n, c2) in enumerate(zip(repeats, channels[1:], strict=True)):
            for i in range(n):
                blocks.append(ShuffleV1Block(c1, c2, group=group, first_group=stage == 0 and i == 0,
                                             mid=c2 // 4, stride=2 if i == 0 else 1))
                c1 = c2
            self._taps[len(blocks) - 1] = 8 * 2**stage
        self.features = nn.Sequential(*blocks)
        self.out_channels = {4: channels[0], 8: channels[1], 16: channels[2], 32: channels[3]}
        for name, m in self.named_modules():  # the reference's init
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.01 if name.startswith("first") else 1.0 / m.weight.shape[1])
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.constant_(m.bias, 1e-4)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.maxpool(self.first_conv(self.normalize(x)))
        out = {4: x}
        for i, block in enumerate(self.features):
            x = block(x)
            if i in self._taps:
                out[self._taps[i]] = x
        return out

    def classifier(self, num_classes: int = 1000) -> ShuffleNetV1Head:
        """The reference head: global average pool, ``classifier.0`` (Linear, no bias)."""
        return ShuffleNetV1Head(self.out_channels[32], num_classes)


class ShuffleNetV1Head(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.classifier = nn.Sequential(nn.Linear(channels, num_classes, bias=False))
        nn.init.normal_(self.classifier[0].weight, 0, 0.01)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.classifier(feats[32].mean((2, 3)))


class ShuffleNetV2(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 24, H/4, W/4), 8: (B, 116, H/8, W/8), 16: (B, 232, ...),
    32: (B, 464, H/32, W/32)} for 1x. ``channels``: stem, stages 2-4, conv5 (torchvision's
    ``stages_out_channels``)."""

    act = "relu"

    def __init__(self, repeats: tuple[int, int, int] = (4, 8, 4),
                 channels: tuple[int, int, int, int, int] = (24, 116, 232, 464, 1024)) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.conv1 = _stem(channels[0])
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        c1 = channels[0]
        for i, (n, c2) in enumerate(zip(repeats, channels[1:4], strict=True)):
            units = [InvertedResidual(c1, c2, 2)] + [InvertedResidual(c2, c2, 1) for _ in range(n - 1)]
            setattr(self, f"stage{i + 2}", nn.Sequential(*units))
            c1 = c2
        self.head_channels = channels[4]
        self.out_channels = {4: channels[0], 8: channels[1], 16: channels[2], 32: channels[3]}

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        c4 = self.maxpool(self.conv1(self.normalize(x)))
        c8 = self.stage2(c4)
        c16 = self.stage3(c8)
        return {4: c4, 8: c8, 16: c16, 32: self.stage4(c16)}

    def classifier(self, num_classes: int = 1000) -> ShuffleNetV2Head:
        """torchvision's head: ``conv5`` (1x1 conv + BN + ReLU to 1024), global average pool, ``fc``."""
        return ShuffleNetV2Head(self.out_channels[32], self.head_channels, num_classes)


class ShuffleNetV2Head(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, hidden: int, num_classes: int) -> None:
        super().__init__()
        self.conv5 = nn.Sequential(nn.Conv2d(channels, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden),
                                   nn.ReLU(inplace=True))
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.fc(self.conv5(feats[32]).mean((2, 3)))


def shufflenet_v1_g3(**overrides) -> ShuffleNetV1:
    """ShuffleNet 1x, g = 3: 1.88 M parameters as a classifier (reference code README: 1.9 M)."""
    return ShuffleNetV1(**overrides)


def shufflenet_v2_x1_0(**overrides) -> ShuffleNetV2:
    """ShuffleNet V2 1x: 2.28 M parameters as a classifier (torchvision ``shufflenet_v2_x1_0``)."""
    return ShuffleNetV2(**overrides)
