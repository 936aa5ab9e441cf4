"""SqueezeNet 1.1 (Iandola et al. 2016, "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters";
version 1.1 from the authors' repository: 3x3/64 stem, pools after the stem and after Fire 3 and Fire 5),
laid out as torchvision's ``squeezenet1_1``: ``features.N`` is the N-th layer of one ``nn.Sequential``, the
head is ``classifier.N`` (dropout, 1x1 conv to the classes, ReLU, global average pool).

Changes for exact strides (the published net is valid-padded: 224 -> 111 -> 55 -> 27 -> 13): the stem conv
gets padding 1 (no new parameters), so with torchvision's ``ceil_mode=True`` 3x3/2 pools every map is exactly
H / s for even H (224 -> 112 -> 56 -> 28 -> 14). The net ends at stride 16, so the stride-32 map is a
parameter-free 3x3/2 max pool (``ceil_mode``) of the last Fire module; the classifier uses the stride-16
map, as the published net does. Taps: 4 = Fire 3 (128), 8 = Fire 5 (256), 16 = Fire 9 (512), 32 = pool (512).
"""

from __future__ import annotations

import torch
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.taps import run_tapped


class Fire(nn.Module):
    """Fire module (Sec. 3.2): 1x1 ``squeeze`` + ReLU, then ``expand1x1`` and ``expand3x3`` convs + ReLU,
    concatenated. (B, c1, H, W) -> (B, e1 + e3, H, W)."""

    def __init__(self, c1: int, squeeze: int, e1: int, e3: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(c1, squeeze, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, e1, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, e3, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


def _pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class SqueezeNet(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 128, H/4, W/4), 8: (B, 256, H/8, W/8), 16: (B, 512, H/16,
    W/16), 32: (B, 512, H/32, W/32)}."""

    act = "relu"

    def __init__(self, dropout: float = 0.5) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.dropout = dropout
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1), nn.ReLU(inplace=True), _pool(),
            Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), _pool(),
            Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), _pool(),
            Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
            Fire(384, 64, 256, 256), Fire(512, 64, 256, 256),
        )
        self.pool32 = _pool()
        self._taps = {4: 4, 7: 8, 12: 16}  # index in features -> stride
        self.out_channels = {4: 128, 8: 256, 16: 512, 32: 512}
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        out = run_tapped(self.features, self.normalize(x), self._taps)
        out[32] = self.pool32(out[16])  # the last Fire module's output is the stride-16 map
        return out

    def classifier(self, num_classes: int = 1000) -> SqueezeNetHead:
        """torchvision's head on the stride-16 map: ``classifier.1`` is the 1x1 conv to the classes."""
        return SqueezeNetHead(self.out_channels[16], num_classes, dropout=self.dropout)


class SqueezeNetHead(nn.Module):
    """{16: (B, C, h, w), ...} -> logits (B, num_classes): dropout, 1x1 conv, ReLU, global average pool."""

    def __init__(self, channels: int, num_classes: int, *, dropout: float = 0.5) -> None:
        super().__init__()
        final_conv = nn.Conv2d(channels, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))
        nn.init.normal_(final_conv.weight, mean=0.0, std=0.01)
        nn.init.zeros_(final_conv.bias)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return torch.flatten(self.classifier(feats[16]), 1)


def squeezenet1_1(**overrides) -> SqueezeNet:
    """SqueezeNet 1.1: 1.24 M parameters as a classifier (torchvision ``squeezenet1_1``)."""
    return SqueezeNet(**overrides)
