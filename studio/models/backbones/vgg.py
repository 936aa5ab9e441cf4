"""VGG-16 (Simonyan & Zisserman 2015, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", configuration D), laid out as torchvision's ``vgg16`` (no BatchNorm): ``features.N`` is the
N-th layer of one ``nn.Sequential`` of 3x3 convs (with bias), ReLUs and 2x2 max pools, so a torchvision
ImageNet state dict loads by name (``classifier.*`` goes to ``classifier()``).

The stride-4/8/16/32 maps are the outputs of pools 2, 3, 4 and 5 (after them: 2x2 pools halve exactly,
so any input that is a multiple of 32 gives H / s).
"""

from __future__ import annotations

import torch
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.taps import run_tapped

VGG16_LAYOUT: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                       512, 512, 512, "M", 512, 512, 512, "M")  # Table 1, column D


def make_layers(layout: tuple[int | str, ...]) -> nn.Sequential:
    """torchvision's ``make_layers`` without BatchNorm: an int is a 3x3 conv + ReLU, "M" a 2x2 max pool."""
    layers: list[nn.Module] = []
    c1 = 3
    for v in layout:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(c1, int(v), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            c1 = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 128, H/4, W/4), 8: (B, 256, ...), 16: (B, 512, ...),
    32: (B, 512, H/32, W/32)} for layout D; ``out_channels`` gives the channels of other layouts."""

    act = "relu"

    def __init__(self, layout: tuple[int | str, ...] = VGG16_LAYOUT, *, dropout: float = 0.5) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.features = make_layers(layout)
        self.dropout = dropout
        pools = [i for i, m in enumerate(self.features) if isinstance(m, nn.MaxPool2d)]
        widths = [int(next(w for w in reversed(layout[:j]) if w != "M"))
                  for j, v in enumerate(layout) if v == "M"]  # channels at each pool
        if len(pools) != 5:
            raise ValueError(f"a VGG layout needs 5 max pools, got {len(pools)}: {layout}")
        self._taps = {pools[i]: 2 ** (i + 1) for i in range(1, 5)}  # index in features -> stride
        self.out_channels = {2 ** (i + 1): widths[i] for i in range(1, 5)}
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        return run_tapped(self.features, self.normalize(x), self._taps)

    def classifier(self, num_classes: int = 1000) -> VGGHead:
        """torchvision's head: adaptive average pool to 7x7 and the three FC layers with dropout."""
        return VGGHead(self.out_channels[32], num_classes, dropout=self.dropout)


class VGGHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes): ``avgpool`` to 7x7 (the identity at 224 px),
    flatten, ``classifier.0/3/6`` (Linear C*49 -> 4096 -> 4096 -> num_classes) with ReLU and dropout."""

    def __init__(self, channels: int, num_classes: int, *, dropout: float = 0.5) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(channels * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        for m in self.classifier:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(feats[32]), 1))


def vgg16(**overrides) -> VGG:
    """VGG-16, 138.36 M parameters as a classifier (torchvision ``vgg16``)."""
    return VGG(**overrides)
