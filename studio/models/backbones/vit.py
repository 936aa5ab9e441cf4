"""ViT-S/16 (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words"; the "small" width of Touvron et al.
2021, DeiT: dim 384, depth 12, 6 heads, MLP 4x), laid out as timm's ``vit_small_patch16_224``:
``patch_embed.proj``, ``cls_token``, ``pos_embed`` (1, 1 + 14*14, 384), ``blocks.N`` (``norm1``,
``attn.qkv``, ``attn.proj``, ``norm2``, ``mlp.fc1``, ``mlp.fc2``); timm's final ``norm`` and ``head``
serve only classification and live in ``classifier()`` under the same keys.

Any input size: the 14x14 grid of position embeddings is resized bicubically (align_corners False, no
antialias, as timm's ``resample_abs_pos_embed`` without antialias) to the actual (H/16, W/16) grid; the
class token keeps its own embedding and runs through the blocks as in the published network.

Strides 4/8/16/32 come from the simple feature pyramid of ViTDet (Li et al. 2022, "Exploring Plain
Vision Transformer Backbones for Object Detection", Sec. 3, Fig. 2c) on the stride-16 patch-token map:
``pyramid``. It is not part of the published classifier; ``classifier()`` does not use it and its
parameters are excluded from the published count (``published_parameter_count``).

The classification head reads the final state of the class token in timm; the zoo's head only sees the
feature maps, so it applies ``norm`` to the patch tokens and averages them (timm's ``global_pool="avg"``
readout) before ``head``: the same parameters, a different readout.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.transformer import (
    Block,
    LayerNorm2d,
    init_linear_trunc_normal,
    stochastic_depth_rates,
)
from studio.models.classify import count_parameters


@dataclass(frozen=True)
class ViTLayout:
    embed_dim: int = 384
    depth: int = 12
    num_heads: int = 6
    patch_size: int = 16
    mlp_ratio: float = 4.0
    pretrain_size: int = 224  # the position embeddings cover pretrain_size / patch_size squared
    drop_path_rate: float = 0.0  # timm's default


VIT_S16 = ViTLayout()


class PatchEmbed(nn.Module):
    """(B, 3, H, W) -> (B, C, H/p, W/p): non-overlapping p x p patches projected by a strided conv."""

    def __init__(self, patch_size: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch_size, patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class SimpleFeaturePyramid(nn.Module):
    """(B, C, h, w) stride-16 map -> {4: (B, C/4, 4h, 4w), 8: (B, C/2, 2h, 2w), 16: (B, C, h, w),
    32: (B, C, h/2, w/2)}: two 2x2 deconvs (LayerNorm + GELU between), one deconv, identity, 2x2 max
    pool (ViTDet's scale factors 4, 2, 1, 1/2 before its per-level convs, which our necks provide)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.up4 = nn.Sequential(nn.ConvTranspose2d(dim, dim // 2, 2, 2), LayerNorm2d(dim // 2), nn.GELU(),
                                 nn.ConvTranspose2d(dim // 2, dim // 4, 2, 2))
        self.up8 = nn.ConvTranspose2d(dim, dim // 2, 2, 2)
        self.down32 = nn.MaxPool2d(2, 2)
        self.out_channels = {4: dim // 4, 8: dim // 2, 16: dim, 32: dim}

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        return {4: self.up4(x), 8: self.up8(x), 16: x, 32: self.down32(x)}


class VisionTransformer(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 96, H/4, W/4), 8: (B, 192, H/8, W/8), 16: (B, 384, H/16,
    W/16), 32: (B, 384, H/32, W/32)} for ViT-S/16 (H, W multiples of 32)."""

    act = "silu"

    def __init__(self, layout: ViTLayout = VIT_S16) -> None:
        super().__init__()
        c, self.grid = layout.embed_dim, layout.pretrain_size // layout.patch_size
        self.normalize = ImageNetNormalize()
        self.patch_embed = PatchEmbed(layout.patch_size, c)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid**2, c))
        rates = stochastic_depth_rates(layout.drop_path_rate, (layout.depth,))[0]
        self.blocks = nn.Sequential(*[Block(c, layout.num_heads, layout.mlp_ratio, r) for r in rates])
        self.pyramid = SimpleFeaturePyramid(c)
        self.out_channels = dict(self.pyramid.out_channels)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        init_linear_trunc_normal(self.blocks)

    def position_embedding(self, h: int, w: int) -> torch.Tensor:
        """(1, h*w, C): the grid part of ``pos_embed`` resized to (h, w) (bicubic) when it differs."""
        grid = self.pos_embed[:, 1:]
        if (h, w) == (self.grid, self.grid):
            return grid
        grid = grid.reshape(1, self.grid, self.grid, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False)
        return grid.flatten(2).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.patch_embed(self.normalize(x))  # (B, C, h, w)
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2) + self.position_embedding(h, w)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(b, -1, -1)
        tokens = self.blocks(torch.cat([cls, tokens], dim=1))
        return self.pyramid(tokens[:, 1:].transpose(1, 2).reshape(b, c, h, w))

    def classifier(self, num_classes: int = 1000) -> ViTHead:
        """timm's ``norm`` + ``head``, over the averaged patch tokens (see the module docstring)."""
        return ViTHead(self.out_channels[16], num_classes)

    def published_parameter_count(self) -> int:
        """Parameters of the published network's trunk: all but the detection ``pyramid``."""
        return count_parameters(self) - count_parameters(self.pyramid)


class ViTHead(nn.Module):
    """{16: (B, C, h, w), ...} -> logits (B, num_classes): LayerNorm per token, mean over tokens, Linear."""

    def __init__(self, dim: int, num_classes: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
        init_linear_trunc_normal(self)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.head(self.norm(feats[16].flatten(2).transpose(1, 2)).mean(dim=1))


def vit_s16(**overrides) -> VisionTransformer:
    """ViT-S/16, 22.05 M parameters as a classifier without the pyramid (timm ``vit_small_patch16_224``).
    Overrides are ``ViTLayout`` fields."""
    return VisionTransformer(ViTLayout(**overrides))
