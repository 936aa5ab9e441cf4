"""PVT-Tiny (Wang et al. 2021, "Pyramid Vision Transformer: A Versatile Backbone for Dense Prediction
without Convolutions", ICCV, Table 1: widths 64/128/320/512, 2 blocks per stage, heads 1/2/5/8, MLP
ratios 8/8/4/4, spatial-reduction ratios 8/4/2/1), laid out as the authors' ``pvt_tiny``
(github.com/whai362/PVT): ``patch_embed1..4`` (``proj`` conv, ``norm``), ``pos_embed1..4``,
``block1..4`` (``norm1``, ``attn.q``, ``attn.kv``, ``attn.sr``, ``attn.norm``, ``attn.proj``, ``norm2``,
``mlp.fc1``, ``mlp.fc2``), ``cls_token``; their final ``norm`` and ``head`` live in ``classifier()``.

Spatial-reduction attention (Sec. 3.3): keys and values come from the map downsampled by an R x R
stride-R conv + LayerNorm, so attention costs (HW)^2 / R^2. Position embeddings are learned for 224 px
(56^2, 28^2, 14^2, 7^2 + the class token's) and resized bilinearly to the actual grid, as the authors'
detection code does. As in the published classifier, the class token joins stage 4 (where R = 1) and
its maps are the patch tokens; the zoo head cannot read the class token, so it averages the normalised
patch tokens (PVT v2's readout): same parameters, a different readout.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.normalize import ImageNetNormalize
from studio.models.blocks.transformer import (
    DropPath,
    Mlp,
    init_linear_trunc_normal,
    map_to_tokens,
    stochastic_depth_rates,
    tokens_to_map,
)


@dataclass(frozen=True)
class PVTLayout:
    embed_dims: tuple[int, ...] = (64, 128, 320, 512)
    num_heads: tuple[int, ...] = (1, 2, 5, 8)
    mlp_ratios: tuple[int, ...] = (8, 8, 4, 4)
    depths: tuple[int, ...] = (2, 2, 2, 2)
    sr_ratios: tuple[int, ...] = (8, 4, 2, 1)
    pretrain_size: int = 224
    drop_path_rate: float = 0.1  # the authors' pvt_tiny


PVT_TINY = PVTLayout()


class SRAttention(nn.Module):
    """(B, h*w, C) tokens of an (h, w) map (plus a leading class token when ``sr_ratio`` == 1) ->
    the same shape: queries from every token, keys/values from the map reduced by ``sr_ratio``."""

    def __init__(self, dim: int, num_heads: int, sr_ratio: int) -> None:
        super().__init__()
        self.num_heads, self.sr_ratio = num_heads, sr_ratio
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, dim * 2)
        self.proj = nn.Linear(dim, dim)
        if sr_ratio > 1:
            self.sr = nn.Conv2d(dim, dim, sr_ratio, sr_ratio)
            self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        b, n, c = x.shape
        d = c // self.num_heads
        q = self.q(x).reshape(b, n, self.num_heads, d).transpose(1, 2)  # (B, heads, N, d)
        kv_in = self.norm(map_to_tokens(self.sr(tokens_to_map(x, h, w)))) if self.sr_ratio > 1 else x
        k, v = self.kv(kv_in).reshape(b, -1, 2, self.num_heads, d).permute(2, 0, 3, 1, 4).unbind(0)
        attn = (q * d**-0.5) @ k.transpose(-2, -1)
        return self.proj((attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c))


class PVTBlock(nn.Module):
    """(B, N, C) -> (B, N, C): x + SRA(norm1(x)), then x + MLP(norm2(x)), with stochastic depth."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: int, sr_ratio: int, drop_path: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = SRAttention(dim, num_heads, sr_ratio)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x: torch.Tensor, h: int, w: int) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), h, w))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    """(B, c1, H, W) -> (B, c2, H/p, W/p): p x p stride-p conv ``proj``, then LayerNorm ``norm`` per token
    (applied channels-first here; the tokens are the same)."""

    def __init__(self, c1: int, c2: int, patch_size: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(c1, c2, patch_size, patch_size)
        self.norm = nn.LayerNorm(c2, eps=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def resize_grid(pos: torch.Tensor, grid: int, h: int, w: int) -> torch.Tensor:
    """(1, grid*grid, C) position embeddings -> (1, h*w, C), bilinear when (h, w) != (grid, grid)."""
    if (h, w) == (grid, grid):
        return pos
    pos = tokens_to_map(pos, grid, grid)
    return map_to_tokens(F.interpolate(pos, size=(h, w), mode="bilinear", align_corners=False))


class PyramidVisionTransformer(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> {4: (B, 64, H/4, W/4), 8: (B, 128, ...), 16: (B, 320, ...),
    32: (B, 512, H/32, W/32)} for PVT-Tiny (H, W multiples of 32)."""

    act = "silu"

    def __init__(self, layout: PVTLayout = PVT_TINY) -> None:
        super().__init__()
        self.normalize = ImageNetNormalize()
        self.out_channels: dict[int, int] = {}
        rates = stochastic_depth_rates(layout.drop_path_rate, layout.depths)
        c1 = 3
        for i, c in enumerate(layout.embed_dims):
            stride, grid = 4 * 2**i, layout.pretrain_size // (4 * 2**i)
            setattr(self, f"patch_embed{i + 1}", PatchEmbed(c1, c, 4 if i == 0 else 2))
            extra = 1 if i == len(layout.embed_dims) - 1 else 0  # the class token's embedding
            setattr(self, f"pos_embed{i + 1}", nn.Parameter(torch.zeros(1, grid * grid + extra, c)))
            setattr(self, f"block{i + 1}", nn.ModuleList(
                PVTBlock(c, layout.num_heads[i], layout.mlp_ratios[i], layout.sr_ratios[i], r)
                for r in rates[i]))
            self.out_channels[stride] = c
            c1 = c
        self.cls_token = nn.Parameter(torch.zeros(1, 1, layout.embed_dims[-1]))
        self.grids = [layout.pretrain_size // (4 * 2**i) for i in range(len(layout.embed_dims))]
        for i in range(len(layout.embed_dims)):
            nn.init.trunc_normal_(getattr(self, f"pos_embed{i + 1}"), std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        init_linear_trunc_normal(self)

    def stage(self, i: int, x: torch.Tensor) -> torch.Tensor:
        """Stage i (0-based): (B, c1, 2h, 2w) (or the image) -> (B, c, h, w)."""
        x = getattr(self, f"patch_embed{i + 1}")(x)
        b, _, h, w = x.shape
        pos = getattr(self, f"pos_embed{i + 1}")
        last = i == len(self.grids) - 1
        tokens = map_to_tokens(x) + resize_grid(pos[:, 1:] if last else pos, self.grids[i], h, w)
        if last:
            tokens = torch.cat([(self.cls_token + pos[:, :1]).expand(b, -1, -1), tokens], dim=1)
        for block in getattr(self, f"block{i + 1}"):
            tokens = block(tokens, h, w)
        return tokens_to_map(tokens[:, 1:] if last else tokens, h, w)

    def forward(self, x: torch.Tensor) -> dict[int, torch.Tensor]:
        """(B, 3, H, W) -> {stride: (B, out_channels[stride], H / stride, W / stride)}."""
        x = self.normalize(x)
        out: dict[int, torch.Tensor] = {}
        for i in range(len(self.grids)):
            x = self.stage(i, x)
            out[4 * 2**i] = x
        return out

    def classifier(self, num_classes: int = 1000) -> PVTHead:
        """The authors' ``norm`` + ``head`` over the averaged stage-4 patch tokens."""
        return PVTHead(self.out_channels[32], num_classes)


class PVTHead(nn.Module):
    """{32: (B, C, h, w), ...} -> logits (B, num_classes): LayerNorm per token, mean, Linear."""

    def __init__(self, dim: int, num_classes: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
        init_linear_trunc_normal(self)

    def forward(self, feats: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.head(self.norm(map_to_tokens(feats[32])).mean(dim=1))


def pvt_tiny(**overrides) -> PyramidVisionTransformer:
    """PVT-Tiny, 13.2 M parameters as a classifier (Wang et al. 2021, Table 2). Overrides are
    ``PVTLayout`` fields."""
    return PyramidVisionTransformer(PVTLayout(**overrides))
