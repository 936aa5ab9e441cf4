"""Split attention (Zhang et al. 2020, "ResNeSt: Split-Attention Networks", Sec. 3 and Fig. 2): a grouped
3x3 conv makes ``radix`` splits of every cardinal group; their sum is pooled globally, squeezed by two
1x1 convs, and a softmax across the radix splits (a sigmoid when radix is 1) weights the splits, which
are summed. Named as timm's ``SplitAttn`` (``conv``, ``bn0``, ``fc1``, ``bn1``, ``fc2``) so its ResNeSt
state dicts load by name."""

from __future__ import annotations

import torch
from torch import nn


def attention_width(channels: int, radix: int, ratio: float = 0.25, divisor: int = 8, floor: int = 32) -> int:
    """timm's ``make_divisible(channels * radix * ratio, divisor, min_value=floor)``: the hidden width of
    the attention MLP (ResNeSt's max(C * radix / 4, 32))."""
    v = channels * radix * ratio
    width = max(floor, int(v + divisor / 2) // divisor * divisor)
    return width + divisor if width < 0.9 * v else width


class RadixSoftmax(nn.Module):
    """(B, radix * C, 1, 1) attention logits, ordered (cardinal group, radix, channel) as ``fc2`` makes
    them -> (B, radix * C) weights ordered (radix, cardinal group, channel) like the conv's splits: a
    softmax across the radix splits, or a sigmoid when radix is 1."""

    def __init__(self, radix: int, cardinality: int) -> None:
        super().__init__()
        self.radix, self.cardinality = radix, cardinality

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.radix == 1:
            return torch.sigmoid(x).flatten(1)
        x = x.unflatten(1, (self.cardinality, self.radix, -1)).transpose(1, 2)  # (B, radix, card, C', 1, 1)
        return torch.softmax(x, dim=1).flatten(1)


class SplitAttention(nn.Module):
    """(B, c1, H, W) -> (B, c2, H / stride, W / stride). ``conv`` (3x3, ``groups * radix`` groups) to
    ``radix * c2`` channels, BN, ReLU; U = the sum of the radix splits (B, c2, H', W'); gap(U) -> ``fc1``
    (grouped 1x1, to ``attention_width``) -> BN -> ReLU -> ``fc2`` (grouped 1x1, to ``radix * c2``) ->
    ``RadixSoftmax``; the output is the attention-weighted sum of the splits."""

    def __init__(self, c1: int, c2: int, *, stride: int = 1, groups: int = 1, radix: int = 2,
                 dilation: int = 1) -> None:
        super().__init__()
        self.radix = radix
        hidden = attention_width(c1, radix)
        self.conv = nn.Conv2d(c1, c2 * radix, 3, stride, dilation, dilation, groups=groups * radix,
                              bias=False)
        self.bn0 = nn.BatchNorm2d(c2 * radix)
        self.act0 = nn.ReLU(inplace=True)
        self.fc1 = nn.Conv2d(c2, hidden, 1, groups=groups)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.act1 = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, c2 * radix, 1, groups=groups)
        self.rsoftmax = RadixSoftmax(radix, groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act0(self.bn0(self.conv(x)))  # (B, radix * c2, H', W')
        splits = x.unflatten(1, (self.radix, -1))  # (B, radix, c2, H', W')
        gap = splits.sum(dim=1).mean(dim=(2, 3), keepdim=True)  # (B, c2, 1, 1)
        attn = self.rsoftmax(self.fc2(self.act1(self.bn1(self.fc1(gap)))))  # (B, radix * c2)
        attn = attn.unflatten(1, (self.radix, -1))[..., None, None]  # (B, radix, c2, 1, 1)
        return (splits * attn).sum(dim=1)
