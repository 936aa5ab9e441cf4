"""DenseNet-121 (Huang et al. 2017, "Densely Connected Convolutional Networks", Table 1: growth 32,
blocks 6/12/24/16, compression 0.5), laid out as torchvision's ``densenet121``: one ``features``
Sequential (``conv0``, ``norm0``, ``relu0``, ``pool0``, ``denseblock1``, ``transition1``, ...,
``denseblock4``). torchvision's final ``features.norm5`` only serves classification, so it lives in
``classifier()`` under the same key, beside ``classifier.*``: a torchvision state dict splits by name.

The stride-4/8/16/32 maps are the outputs of dense blocks 1-4 (256, 512, 1024, 1024 channels).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.dense_layer import DenseBlock, Transition
from studio.models.blocks.normalize import ImageNetNormalize


class DenseNet(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, C4, H/4, W/4), ..., 32: (B, C32, H/32, W/32)};
    ``out_channels`` = {4: 256, 8: 512, 16: 1024, 32: 1024} for DenseNet-121."""

    act = "relu"

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, int, int, int] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        c = num_init_features
        self.out_channels: dict[int, int] = {}
        for i, n in enumerate(block_config):
            block = DenseBlock(n, c, growth_rate, bn_size, drop_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            c = block.out_channels
            self.out_channels[4 * 2**i] = c
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", Transition(c, c // 2))
                c //= 2
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.normalize(x)
        out: dict[int, torch.Tensor] = {}
        for name, layer in self.features.named_children():
            x = layer(x)
            if name.startswith("denseblock"):
                out[4 * 2 ** (int(name[len("denseblock"):]) - 1)] = x
        return out

    def classifier(self, num_classes: int = 1000) -> DenseNetHead:
        """torchvision's head: ``features.norm5``, ReLU, global average pool, ``classifier`` Linear."""
        return DenseNetHead(self.out_channels[32], num_classes)


class DenseNetHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([("norm5", nn.BatchNorm2d(channels))]))
        self.classifier = nn.Linear(channels, num_classes)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        x = F.relu(self.features(feats[32]))
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def densenet121(**overrides) -> DenseNet:
    """DenseNet-121, 7.98 M parameters as a classifier (torchvision ``densenet121``)."""
    return DenseNet(**overrides)
