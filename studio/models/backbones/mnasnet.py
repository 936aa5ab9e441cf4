"""MnasNet 1.0 (Tan et al. 2019, "MnasNet: Platform-Aware Neural Architecture Search for Mobile", the B1
variant without SE, depth multiplier 1.0) as torchvision's ``mnasnet1_0``, laid out as torchvision: one
flat ``layers`` Sequential (``layers.0-2`` stem conv/BN/ReLU,
``layers.3-7`` depthwise separable conv, ``layers.8-13`` stacks of inverted residuals, each a Sequential
of blocks whose ``layers.0-7`` are pw conv, BN, ReLU, dw conv, BN, ReLU, pwl conv, BN). BN momentum
1 - 0.9997 as torchvision. torchvision's ``layers.14-16`` (1x1 conv to 1280, BN, ReLU) only serve
classification, so they live in ``classifier()`` under the same keys, beside ``classifier.1``.

Maps: layers 8 / 9 / 11 / 13 (24, 40, 96, 320 channels).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from studio.models.backbones.mobilenet import ConvPoolHead, TappedBackbone

BN_MOMENTUM = 1 - 0.9997
DEPTHS = (32, 16, 24, 40, 80, 96, 192, 320)  # torchvision _get_depths(1.0)
# stacks after the separable conv: (kernel, first stride, expansion, repeats), paper Fig. 7 / torchvision
STACKS: tuple[tuple[int, int, int, int], ...] = ((3, 2, 3, 3), (5, 2, 3, 3), (5, 2, 6, 3), (3, 1, 6, 2),
                                                 (5, 2, 6, 4), (3, 1, 6, 1))


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, momentum=BN_MOMENTUM)


class MnasInvertedResidual(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / s, W / s): torchvision's ``_InvertedResidual`` (``layers.0-7``)."""

    def __init__(self, c1: int, c2: int, k: int, s: int, expand: int) -> None:
        super().__init__()
        mid = c1 * expand
        self.apply_residual = c1 == c2 and s == 1
        self.layers = nn.Sequential(
            nn.Conv2d(c1, mid, 1, bias=False), _bn(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, k, s, k // 2, groups=mid, bias=False), _bn(mid), nn.ReLU(),
            nn.Conv2d(mid, c2, 1, bias=False), _bn(c2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x) + x if self.apply_residual else self.layers(x)


def _stack(c1: int, c2: int, k: int, s: int, expand: int, repeats: int) -> nn.Sequential:
    """torchvision's ``_stack``: the first block strides and changes width, the rest keep it."""
    return nn.Sequential(MnasInvertedResidual(c1, c2, k, s, expand),
                         *(MnasInvertedResidual(c2, c2, k, 1, expand) for _ in range(repeats - 1)))


class MNASNet(TappedBackbone):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 24, H/4, W/4), 8: 40, 16: 96, 32: (B, 320, H/32, W/32)}."""

    act = "relu"

    def __init__(self, dropout: float = 0.2) -> None:
        d = DEPTHS
        layers: list[nn.Module] = [
            nn.Conv2d(3, d[0], 3, 2, 1, bias=False), _bn(d[0]), nn.ReLU(),
            nn.Conv2d(d[0], d[0], 3, 1, 1, groups=d[0], bias=False), _bn(d[0]), nn.ReLU(),
            nn.Conv2d(d[0], d[1], 1, bias=False), _bn(d[1])]
        strides, channels = [2] * 8, [d[0]] * 7 + [d[1]]
        for i, (k, s, expand, n) in enumerate(STACKS):
            layers.append(_stack(d[i + 1], d[i + 2], k, s, expand, n))
            strides.append(strides[-1] * s)
            channels.append(d[i + 2])
        super().__init__(nn.Sequential(*layers), strides, channels, trunk_name="layers")
        self.head_index, self.dropout = len(layers), dropout
        _mnasnet_init(self)

    def classifier(self, num_classes: int = 1000) -> ConvPoolHead:
        """``layers.14-16`` (1x1 conv to 1280, BN, ReLU), pool, ``classifier`` (Dropout, Linear)."""
        c, i = self.out_channels[32], self.head_index
        tail = OrderedDict([(str(i), nn.Conv2d(c, 1280, 1, bias=False)), (str(i + 1), _bn(1280)),
                            (str(i + 2), nn.ReLU())])
        fc = nn.Sequential(nn.Dropout(self.dropout), nn.Linear(1280, num_classes))
        head = ConvPoolHead("layers", tail, fc)
        _mnasnet_init(head)
        return head


def _mnasnet_init(module: nn.Module) -> None:
    """torchvision's MnasNet init: kaiming-normal (fan out, relu) convs, BN 1 / 0, Linear kaiming-uniform
    (fan out, sigmoid), zero biases."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.kaiming_uniform_(m.weight, mode="fan_out", nonlinearity="sigmoid")
            nn.init.zeros_(m.bias)


def mnasnet1_0(**overrides) -> MNASNet:
    """MnasNet 1.0, 4.38 M parameters as a classifier (torchvision ``mnasnet1_0``)."""
    return MNASNet(**overrides)
