"""Swin-T (Liu et al. 2021, "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows",
Table 7: C = 96, layers 2/2/6/2, heads 3/6/12/24, window 7, patch 4), laid out as torchvision's
``swin_t``: ``features.0`` patch embedding (4x4 conv, permute to channels-last, LayerNorm),
``features.1/3/5/7`` the stages of ``SwinTransformerBlock``s (``norm1``, ``attn``, ``norm2``, ``mlp.0``,
``mlp.3``), ``features.2/4/6`` the ``PatchMerging`` layers (``reduction``, ``norm``). torchvision's final
``norm`` and ``head`` serve only classification and live in ``classifier()`` under the same keys.

Windows: every attention pads its map to the 7x7 window grid and crops back, so any input works (64 px
gives stage maps of 16, 8, 4, 2 with one padded window in the last two stages, where no shift is made).
The stride-4/8/16/32 maps are the stage outputs, returned channels-first (B, C, H/s, W/s).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.taps import run_tapped
from studio.models.blocks.transformer import DropPath
from studio.models.blocks.window_attention import ShiftedWindowAttention


@dataclass(frozen=True)
class SwinLayout:
    embed_dim: int = 96  # C, the stage-1 width (doubled by each patch merging)
    depths: tuple[int, ...] = (2, 2, 6, 2)  # blocks per stage
    num_heads: tuple[int, ...] = (3, 6, 12, 24)  # heads per stage
    window_size: int = 7
    patch_size: int = 4
    mlp_ratio: float = 4.0
    stochastic_depth_prob: float = 0.2  # torchvision's swin_t default


SWIN_T = SwinLayout()


class Permute(nn.Module):
    """Reorders dimensions (torchvision's ``Permute``: no parameters)."""

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.dims)


class SwinTransformerBlock(nn.Module):
    """(B, H, W, C) -> (B, H, W, C): pre-norm (shifted) window attention, then pre-norm MLP (4C, GELU),
    each residual with stochastic depth."""

    def __init__(self, dim: int, num_heads: int, window_size: int, shift_size: int, mlp_ratio: float,
                 drop_path: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ShiftedWindowAttention(dim, window_size, shift_size, num_heads)
        self.stochastic_depth = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)  # torchvision's MLP: Linear, GELU, Dropout, Linear, Dropout
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(0.0), nn.Linear(hidden, dim),
                                 nn.Dropout(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """(B, H, W, C) -> (B, ceil(H/2), ceil(W/2), 2C): the 2x2 neighbours concatenated (odd sizes padded),
    LayerNorm(4C), Linear 4C -> 2C without bias."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[1], x.shape[2]
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.reduction(self.norm(x))


class SwinTransformer(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, C, H/4, W/4), 8: (B, 2C, ...), 16: (B, 4C, ...),
    32: (B, 8C, H/32, W/32)}; ``out_channels`` = {4: 96, 8: 192, 16: 384, 32: 768} for Swin-T."""

    act = "silu"

    def __init__(self, layout: SwinLayout = SWIN_T) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        c, p = layout.embed_dim, layout.patch_size
        embed = nn.Sequential(nn.Conv2d(3, c, p, p), Permute([0, 2, 3, 1]), nn.LayerNorm(c))
        layers: list[nn.Module] = [embed]
        total, block_id = sum(layout.depths), 0
        self.out_channels: dict[int, int] = {}
        for i, (depth, heads) in enumerate(zip(layout.depths, layout.num_heads, strict=True)):
            stage = []
            for j in range(depth):
                rate = layout.stochastic_depth_prob * block_id / (total - 1)
                shift = 0 if j % 2 == 0 else layout.window_size // 2
                stage.append(SwinTransformerBlock(c, heads, layout.window_size, shift, layout.mlp_ratio,
                                                  rate))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            self.out_channels[p * 2**i] = c
            if i < len(layout.depths) - 1:
                layers.append(PatchMerging(c))
                c *= 2
        self.features = nn.Sequential(*layers)
        self._taps = {2 * i + 1: p * 2**i for i in range(len(layout.depths))}  # features index -> stride
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)} (channels-first)."""
        return run_tapped(self.features, self.normalize(x), self._taps, lambda t: t.permute(0, 3, 1, 2))

    def classifier(self, num_classes: int = 1000) -> SwinHead:
        """torchvision's head: ``norm`` (LayerNorm), global average pool, ``head`` Linear."""
        return SwinHead(self.out_channels[32], num_classes)


class SwinHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.head = nn.Linear(channels, num_classes)
        nn.init.trunc_normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        x = self.norm(feats[32].permute(0, 2, 3, 1))  # (B, h, w, C)
        return self.head(x.mean(dim=(1, 2)))


def swin_t(**overrides) -> SwinTransformer:
    """Swin-T, 28.29 M parameters as a classifier (torchvision ``swin_t``). Overrides are ``SwinLayout``
    fields (e.g. ``stochastic_depth_prob=0.0``)."""
    return SwinTransformer(SwinLayout(**overrides))

