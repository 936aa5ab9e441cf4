"""Transformer pieces the attention backbones share: stochastic depth (Huang et al. 2016, "Deep Networks
with Stochastic Depth"; torchvision's ``StochasticDepth`` in "row" mode, timm's ``DropPath``), the token
MLP of ViT (Dosovitskiy et al. 2021; children ``fc1`` / ``act`` / ``fc2`` as timm's ``Mlp``), a
channels-first LayerNorm (timm's ``LayerNorm2d``) and a tokens <-> map reshape."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class DropPath(nn.Module):
    """(B, ...) -> (B, ...): in training each sample's residual branch is dropped with probability ``p``
    and the kept ones are scaled by 1 / (1 - p); identity in eval (and so in an export)."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Mlp(nn.Module):
    """(..., c1) -> (..., c2): Linear ``fc1`` to ``hidden``, activation, Linear ``fc2`` (timm's names)."""

    def __init__(self, c1: int, hidden: int, c2: int | None = None,
                 act: Callable[[], nn.Module] = nn.GELU) -> None:
        super().__init__()
        self.fc1 = nn.Linear(c1, hidden)
        self.act = act()
        self.fc2 = nn.Linear(hidden, c2 or c1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class LayerNorm2d(nn.LayerNorm):
    """(B, C, H, W) -> (B, C, H, W), LayerNorm over C at every position (``weight`` / ``bias`` as
    ``nn.LayerNorm``, so timm's ``LayerNorm2d`` keys load)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def tokens_to_map(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(B, h * w, C) tokens in row-major order -> (B, C, h, w) map."""
    return x.transpose(1, 2).reshape(x.shape[0], -1, h, w)


def map_to_tokens(x: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) map -> (B, h * w, C) tokens in row-major order."""
    return x.flatten(2).transpose(1, 2)


def stochastic_depth_rates(total: float, counts: tuple[int, ...]) -> list[list[float]]:
    """The linear decay rule of stochastic depth: block k of n gets ``total * k / (n - 1)``, split per stage
    by ``counts`` (timm's ``torch.linspace(0, rate, n)``; plain floats so nothing reads tensor values)."""
    n = sum(counts)
    rates = [total * k / max(n - 1, 1) for k in range(n)]
    out, start = [], 0
    for c in counts:
        out.append(rates[start:start + c])
        start += c
    return out


class Attention(nn.Module):
    """(B, N, C) -> (B, N, C): multi-head self-attention over all N tokens (timm's ``Attention``: one
    ``qkv`` Linear, then ``proj``)."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # (B, heads, N, d)
        attn = (q * (c // self.num_heads) ** -0.5) @ k.transpose(-2, -1)
        return self.proj((attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    """(B, N, C) -> (B, N, C): pre-norm ViT block, x + attn(norm1(x)), then x + mlp(norm2(x)), both with
    stochastic depth (timm's ``Block``: ``norm1``, ``attn``, ``norm2``, ``mlp``)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, drop_path: float = 0.0,
                 eps: float = 1e-6) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads)
        self.drop_path1 = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path2 = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path1(self.attn(self.norm1(x)))
        return x + self.drop_path2(self.mlp(self.norm2(x)))


def init_linear_trunc_normal(module: nn.Module, std: float = 0.02) -> None:
    """Every Linear in ``module``: weight truncated normal (std 0.02), bias zero (timm / torchvision ViT)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
