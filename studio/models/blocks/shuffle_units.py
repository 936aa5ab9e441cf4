"""ShuffleNet units. ``ShuffleV1Block`` (Zhang et al. 2018, "ShuffleNet", Fig. 2b/2c) named as the authors'
reference code (megvii-model/ShuffleNet-Series, ``ShuffleNetV1/blocks.py``); ``InvertedResidual`` (Ma et al.
2018, "ShuffleNet V2", Fig. 3c/3d) named as torchvision's ``shufflenetv2``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.channel_shuffle import channel_shuffle


class ShuffleV1Block(nn.Module):
    """ShuffleNet v1 unit: grouped 1x1 conv (``mid`` channels; not grouped when ``first_group``) + BN + ReLU,
    channel shuffle, 3x3 depthwise conv (stride ``stride``) + BN, grouped 1x1 conv + BN; stride 1 adds the
    input then ReLU, stride 2 concatenates a 3x3 average pool of the input with ReLU(branch).
    (B, c1, H, W) -> (B, c2, H / stride, W / stride).

    The shuffle is the reference code's (reshape to (C / g, g), transpose), i.e. ``channel_shuffle(x,
    C // g)``: the inverse permutation of the paper's, equally mixing, and the one its checkpoints expect."""

    def __init__(self, c1: int, c2: int, *, group: int, first_group: bool, mid: int, stride: int) -> None:
        super().__init__()
        self.stride, self.group = stride, group
        self.shuffle_groups = mid // group  # the reference's (C / g, g) reshape
        outputs = c2 - c1 if stride == 2 else c2
        self.branch_main_1 = nn.Sequential(
            nn.Conv2d(c1, mid, 1, 1, 0, groups=1 if first_group else group, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
            nn.BatchNorm2d(mid),
        )
        self.branch_main_2 = nn.Sequential(
            nn.Conv2d(mid, outputs, 1, 1, 0, groups=group, bias=False),
            nn.BatchNorm2d(outputs),
        )
        self.branch_proj = nn.AvgPool2d(3, 2, 1) if stride == 2 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.branch_main_1(x)
        if self.group > 1:
            y = channel_shuffle(y, self.shuffle_groups)
        y = self.branch_main_2(y)
        if self.branch_proj is None:
            return F.relu(y + x)
        return torch.cat((self.branch_proj(x), F.relu(y)), 1)


def _depthwise(c: int, stride: int) -> nn.Conv2d:
    return nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False)


class InvertedResidual(nn.Module):
    """ShuffleNet v2 unit. Stride 1: split the channels in halves, ``branch2`` (1x1 conv, 3x3 depthwise, 1x1
    conv, BN after each, ReLU after the 1x1s) on the second, concatenate, shuffle with 2 groups. Stride 2:
    ``branch1`` (3x3 depthwise s2 + BN, 1x1 conv + BN + ReLU) and ``branch2`` both on the whole input.
    (B, c1, H, W) -> (B, c2, H / stride, W / stride)."""

    def __init__(self, c1: int, c2: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        half = c2 // 2
        if stride == 1 and c1 != 2 * half:
            raise ValueError(f"a stride-1 ShuffleNet v2 unit needs c1 == c2, got {c1} -> {c2}")
        if stride > 1:
            self.branch1 = nn.Sequential(
                _depthwise(c1, stride), nn.BatchNorm2d(c1),
                nn.Conv2d(c1, half, 1, 1, 0, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(c1 if stride > 1 else half, half, 1, 1, 0, bias=False), nn.BatchNorm2d(half),
            nn.ReLU(inplace=True),
            _depthwise(half, stride), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, 1, 0, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)
