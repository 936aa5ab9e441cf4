"""(Shifted) window attention of the Swin Transformer (Liu et al. 2021, "Swin Transformer: Hierarchical
Vision Transformer using Shifted Windows", Sec. 3.2), as torchvision's ``ShiftedWindowAttention``
(children ``qkv`` / ``proj``, parameter ``relative_position_bias_table``, buffer
``relative_position_index``), so its state dicts load by name.

Any map size works: the map is padded at the bottom/right to a multiple of the window, attended, and
cropped back; a shift is dropped along an axis whose padded size is one window (nothing to shift). The
shifted-window mask is computed from the padded size with tensor ops (region labels compared), so it
traces for the exported size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.blocks.relative_attention import relative_position_index


def window_partition(x: torch.Tensor, ws: int) -> torch.Tensor:
    """(B, H, W, C) with H, W multiples of ``ws`` -> (B * H/ws * W/ws, ws*ws, C), windows row-major."""
    b, h, w, c = x.shape
    x = x.reshape(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, ws * ws, c)


def window_reverse(windows: torch.Tensor, ws: int, h: int, w: int) -> torch.Tensor:
    """The inverse of ``window_partition``: (B * H/ws * W/ws, ws*ws, C) -> (B, H, W, C)."""
    c = windows.shape[-1]
    x = windows.reshape(-1, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, w, c)


def _region_labels(n: int, ws: int, shift: int, device: torch.device) -> torch.Tensor:
    """(n,) int64: 0, 1, 2 for the slices [0, n - ws), [n - ws, n - shift), [n - shift, n) of a rolled
    axis (the three regions of the paper's Fig. 4 that must not attend to each other)."""
    r = torch.arange(n, device=device)
    return (r >= n - ws).long() + (r >= n - shift).long()


def shifted_window_mask(h: int, w: int, ws: int, shift: tuple[int, int],
                        device: torch.device | None = None) -> torch.Tensor:
    """(H/ws * W/ws, ws*ws, ws*ws) additive mask of a map (H, W) rolled by ``shift``: 0 within a region,
    -100 across regions (as the reference code)."""
    labels = _region_labels(h, ws, shift[0], device)[:, None] * 3 + _region_labels(w, ws, shift[1], device)
    windows = window_partition(labels[None, :, :, None], ws)[..., 0]  # (nW, N)
    differ = windows[:, :, None] != windows[:, None, :]
    return differ.float() * -100.0


class ShiftedWindowAttention(nn.Module):
    """(B, H, W, C) channels-last -> (B, H, W, C): multi-head attention inside ``window_size`` windows,
    rolled by ``shift_size`` first, with a learned relative position bias per head."""

    def __init__(self, dim: int, window_size: int, shift_size: int, num_heads: int) -> None:
        super().__init__()
        self.window_size, self.shift_size, self.num_heads = window_size, shift_size, num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, num_heads))
        self.register_buffer("relative_position_index",
                             relative_position_index(window_size, window_size).flatten())
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def bias(self) -> torch.Tensor:
        """(heads, N, N) with N = window_size**2."""
        n = self.window_size**2
        bias = self.relative_position_bias_table[self.relative_position_index].reshape(n, n, -1)
        return bias.permute(2, 0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h, w, c = x.shape
        ws = self.window_size
        x = F.pad(x, (0, 0, 0, (ws - w % ws) % ws, 0, (ws - h % ws) % ws))
        ph, pw = x.shape[1], x.shape[2]
        shift = (self.shift_size if ph > ws else 0, self.shift_size if pw > ws else 0)
        if sum(shift) > 0:
            x = torch.roll(x, shifts=(-shift[0], -shift[1]), dims=(1, 2))
        windows = window_partition(x, ws)  # (B*nW, N, C)
        qkv = self.qkv(windows).reshape(windows.shape[0], ws * ws, 3, self.num_heads, c // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # (B*nW, heads, N, d)
        attn = (q * (c // self.num_heads) ** -0.5) @ k.transpose(-2, -1) + self.bias()
        if sum(shift) > 0:
            mask = shifted_window_mask(ph, pw, ws, shift, x.device).to(attn.dtype)  # (nW, N, N)
            n_win = mask.shape[0]
            attn = attn.reshape(-1, n_win, self.num_heads, ws * ws, ws * ws) + mask[None, :, None]
            attn = attn.reshape(-1, self.num_heads, ws * ws, ws * ws)
        out = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(-1, ws * ws, c)
        x = window_reverse(self.proj(out), ws, ph, pw)
        if sum(shift) > 0:
            x = torch.roll(x, shifts=shift, dims=(1, 2))
        return x[:, :h, :w, :].contiguous()
