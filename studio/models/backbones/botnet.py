"""BoT50 (Srinivas et al. 2021, "Bottleneck Transformers for Visual Recognition", CVPR, Sec. 3 and
Table 13: 20.8 M parameters): ResNet-50 whose last stage (c5, three bottlenecks) replaces each 3x3 conv
by all-to-all multi-head self-attention (4 heads) with 2D relative position logits; the stride-2 block
average-pools 2x2 after its attention. Laid out with torchvision's ``resnet50`` names (``conv1``, ``bn1``,
``layer1..4``, each block ``conv1``/``bn1``/``conv2``/``bn2``/``conv3``/``bn3``/``downsample``); in
``layer4`` the 3x3 ``conv2`` is ``self_attn`` (``qkv``, ``pos_embed.height_rel``/``width_rel``, as timm's
``BottleneckAttn``), so a torchvision ResNet-50 state dict loads by name except ``layer4.*.conv2``.

Relative positions at any input size: the per-axis embedding tables are learned for the c5 maps of a
224 px input (14 x 14 for the strided block, 7 x 7 after it) and linearly resized along the offset axis
to (2H - 1) and (2W - 1) entries for the actual map, so the logits are computed for the actual H, W.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.relative_attention import BottleneckAttention


@dataclass(frozen=True)
class BoTLayout:
    layers: tuple[int, ...] = (3, 4, 6, 3)  # bottlenecks per stage (ResNet-50)
    heads: int = 4  # MHSA heads in c5
    pretrain_size: int = 224  # the relative tables cover the c5 maps of this input size


BOT50 = BoTLayout()


def _downsample(c1: int, c2: int, stride: int) -> nn.Sequential | None:
    if stride == 1 and c1 == c2:
        return None
    return nn.Sequential(nn.Conv2d(c1, c2, 1, stride, bias=False), nn.BatchNorm2d(c2))


class Bottleneck(nn.Module):
    """(B, c1, H, W) -> (B, 4 * width, H / stride, W / stride): torchvision's ResNet v1.5 bottleneck
    (1x1, 3x3 with the stride, 1x1 expanding 4x, projection shortcut when the shape changes). With
    ``attn_size`` set, the 3x3 conv is BoTNet's MHSA (``self_attn``) learned for that map size."""

    expansion = 4

    def __init__(self, c1: int, width: int, stride: int = 1, attn_size: int | None = None,
                 heads: int = 4) -> None:
        super().__init__()
        c2 = width * self.expansion
        self.conv1 = nn.Conv2d(c1, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        if attn_size is None:
            self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        else:
            self.self_attn = BottleneckAttention(width, (attn_size, attn_size), heads, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, c2, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c2)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(c1, c2, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        mixer = self.conv2 if hasattr(self, "conv2") else self.self_attn
        out = self.relu(self.bn2(mixer(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class BoTNet(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 256, H/4, W/4), 8: (B, 512, ...), 16: (B, 1024, ...),
    32: (B, 2048, H/32, W/32)} (the outputs of layer1..4)."""

    act = "silu"

    def __init__(self, layout: BoTLayout = BOT50) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        c1, self.out_channels = 64, {}
        for i, n in enumerate(layout.layers):
            width, stride = 64 * 2**i, 1 if i == 0 else 2
            blocks = []
            for j in range(n):
                attn_size = None
                if i == len(layout.layers) - 1:  # c5: MHSA, first block at the stride-16 map size
                    attn_size = layout.pretrain_size // (16 if j == 0 else 32)
                blocks.append(Bottleneck(c1, width, stride if j == 0 else 1, attn_size, layout.heads))
                c1 = width * Bottleneck.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            self.out_channels[4 * 2**i] = c1
        for name, m in self.named_modules():
            if isinstance(m, nn.Conv2d) and not name.endswith("qkv"):  # qkv keeps timm's init
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for m in self.modules():  # zero-init the last BN of every residual branch (timm's BoTNet
            if isinstance(m, Bottleneck):  # zero_init_last): blocks start as identities, as in Goyal et al.
                nn.init.zeros_(m.bn3.weight)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(self.normalize(x)))))
        out: dict[int, torch.Tensor] = {}
        for i in range(len(self.out_channels)):
            x = getattr(self, f"layer{i + 1}")(x)
            out[4 * 2**i] = x
        return out

    def classifier(self, num_classes: int = 1000) -> BoTHead:
        """torchvision's ResNet head: global average pool, ``fc``."""
        return BoTHead(self.out_channels[32], num_classes)


class BoTHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.fc(feats[32].mean(dim=(2, 3)))


def botnet50(**overrides) -> BoTNet:
    """BoT50, 20.8 M parameters as a classifier (Srinivas et al. 2021, Table 13). Overrides are
    ``BoTLayout`` fields."""
    return BoTNet(BoTLayout(**overrides))
