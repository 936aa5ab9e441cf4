"""Multi-head self-attention over a whole (B, C, H, W) map with relative positions, computed for the
actual H, W so any input size works (and traces: the indices come from ``torch.arange`` of the sizes).

- ``relative_position_index(h, w)``: the (h*w, h*w) index into a ((2h-1) * (2w-1))-entry table of 2D
  offsets (Swin, Liu et al. 2021, Sec. 3.2; timm's ``gen_relative_position_index``).
- ``RelPosBias``: a learned bias per head and 2D offset (CoAtNet, Dai et al. 2021, Eq. 3; timm's
  ``RelPosBias`` names). Its table is learned for the training map size and resized bicubically to
  (2H-1, 2W-1) for other sizes (as timm resizes such tables when the input size changes).
- ``RelPosEmb2d``: relative logits from learned per-axis embeddings, q . r_h + q . r_w (BoTNet,
  Srinivas et al. 2021, Fig. 4; Bello et al. 2019; timm's ``PosEmbedRel`` names ``height_rel`` /
  ``width_rel``). Tables learned for the training size, resized linearly along the offset axis otherwise.
- ``RelPosAttention2d``: CoAtNet's relative attention (timm ``Attention2d``: ``qkv``, ``rel_pos``, ``proj``).
- ``BottleneckAttention``: BoTNet's MHSA (timm ``BottleneckAttn``: ``qkv``, ``pos_embed``, ``pool``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def relative_position_index(h: int, w: int, device: torch.device | None = None) -> torch.Tensor:
    """(h*w, h*w) int64: entry [i, j] = (dy + h - 1) * (2w - 1) + (dx + w - 1) for the offset (dy, dx)
    of position i from position j (both row-major)."""
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    dy = ys[:, None] - ys[None, :] + (h - 1)
    dx = xs[:, None] - xs[None, :] + (w - 1)
    return dy * (2 * w - 1) + dx


def axis_offset_index(n: int, device: torch.device | None = None) -> torch.Tensor:
    """(n, n) int64: entry [i, j] = j - i + n - 1, the offset of key j from query i along one axis."""
    r = torch.arange(n, device=device)
    return r[None, :] - r[:, None] + (n - 1)


class RelPosBias(nn.Module):
    """(h, w) -> (heads, h*w, h*w) additive attention bias. ``size`` = (h0, w0) the map size the table is
    learned for (timm: the stage's map at 224 px)."""

    def __init__(self, size: tuple[int, int], num_heads: int) -> None:
        super().__init__()
        self.size, self.num_heads = size, num_heads
        h0, w0 = size
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * h0 - 1) * (2 * w0 - 1), num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def table(self, h: int, w: int) -> torch.Tensor:
        """((2h-1) * (2w-1), heads): the learned table, bicubically resized when (h, w) != ``size``."""
        table = self.relative_position_bias_table
        if (h, w) == tuple(self.size):
            return table
        h0, w0 = self.size
        grid = table.T.reshape(1, self.num_heads, 2 * h0 - 1, 2 * w0 - 1)
        grid = F.interpolate(grid, size=(2 * h - 1, 2 * w - 1), mode="bicubic", align_corners=False)
        return grid.reshape(self.num_heads, -1).T

    def forward(self, h: int, w: int) -> torch.Tensor:
        index = relative_position_index(h, w, self.relative_position_bias_table.device)
        bias = self.table(h, w)[index.flatten()].reshape(h * w, h * w, self.num_heads)
        return bias.permute(2, 0, 1)


def resize_offsets(table: torch.Tensor, n: int) -> torch.Tensor:
    """(2m - 1, d) per-offset embeddings -> (2n - 1, d), linear along the offsets (identity when n == m)."""
    if table.shape[0] == 2 * n - 1:
        return table
    out = F.interpolate(table.T[None], size=2 * n - 1, mode="linear", align_corners=False)
    return out[0].T


class RelPosEmb2d(nn.Module):
    """q (B, H, W, d) -> relative logits (B, H*W, H*W): q . height_rel[y' - y] + q . width_rel[x' - x].
    ``size`` = (h0, w0) the map size the tables are learned for."""

    def __init__(self, size: tuple[int, int], dim_head: int) -> None:
        super().__init__()
        scale = dim_head**-0.5
        self.height_rel = nn.Parameter(torch.randn(2 * size[0] - 1, dim_head) * scale)
        self.width_rel = nn.Parameter(torch.randn(2 * size[1] - 1, dim_head) * scale)

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = q.shape
        emb_h = resize_offsets(self.height_rel, h)[axis_offset_index(h, q.device)]  # (H, H', d)
        emb_w = resize_offsets(self.width_rel, w)[axis_offset_index(w, q.device)]  # (W, W', d)
        rel_h = torch.einsum("byxd,ykd->byxk", q, emb_h)  # (B, H, W, H')
        rel_w = torch.einsum("byxd,xkd->byxk", q, emb_w)  # (B, H, W, W')
        return (rel_h[..., :, None] + rel_w[..., None, :]).reshape(b, h * w, h * w)


class RelPosAttention2d(nn.Module):
    """(B, c1, H, W) -> (B, c2, H, W): multi-head attention over all H*W positions with a relative
    position bias (CoAtNet's "relative attention"); heads = c2 / dim_head, q/k/v of c2 channels each
    (timm's ``expand_first``, ``head_first`` layout of ``qkv``)."""

    def __init__(self, c1: int, c2: int, size: tuple[int, int], dim_head: int = 32) -> None:
        super().__init__()
        self.num_heads, self.dim_head = c2 // dim_head, dim_head
        self.qkv = nn.Conv2d(c1, c2 * 3, 1)
        self.rel_pos = RelPosBias(size, self.num_heads)
        self.proj = nn.Conv2d(c2, c2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        q, k, v = self.qkv(x).reshape(b, self.num_heads, self.dim_head * 3, h * w).chunk(3, dim=2)
        attn = (q.transpose(-2, -1) * self.dim_head**-0.5) @ k  # (B, heads, N, N)
        attn = (attn + self.rel_pos(h, w)).softmax(dim=-1)
        return self.proj((v @ attn.transpose(-2, -1)).reshape(b, -1, h, w))


class BottleneckAttention(nn.Module):
    """(B, C, H, W) -> (B, C, H / stride, W / stride): BoTNet's all-to-all MHSA with 2D relative logits
    (content-content q.k plus content-position q.r, Srinivas et al. 2021, Fig. 4), no output projection
    (the block's next 1x1 conv plays that part); stride 2 average-pools 2x2 after attention (Sec. 3)."""

    def __init__(self, channels: int, size: tuple[int, int], num_heads: int = 4, stride: int = 1) -> None:
        super().__init__()
        self.num_heads, self.dim_head = num_heads, channels // num_heads
        self.qkv = nn.Conv2d(channels, channels * 3, 1, bias=False)
        self.pos_embed = RelPosEmb2d(size, self.dim_head)
        self.pool = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()
        nn.init.trunc_normal_(self.qkv.weight, std=channels**-0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = (t.reshape(b * self.num_heads, self.dim_head, h * w) for t in self.qkv(x).chunk(3, dim=1))
        q = q.transpose(1, 2) * self.dim_head**-0.5  # (B*heads, N, d)
        attn = q @ k + self.pos_embed(q.reshape(-1, h, w, self.dim_head))  # (B*heads, N, N)
        out = v @ attn.softmax(dim=-1).transpose(1, 2)  # (B*heads, d, N)
        return self.pool(out.reshape(b, c, h, w))
