"""RoIAlign (Mask R-CNN, He et al. 2017) in plain torch: bilinear samples by ``grid_sample``, so it runs on
any device, has autograd, and exports to ONNX as it is. The arithmetic follows torchvision's
``roi_align`` kernel (aligned mode, fixed sampling ratio), checked against a direct per-box reference.
``multiscale_roi_align`` assigns each box to one FPN level (Lin et al. 2017, eq. 1)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F


def _normalised(coords: torch.Tensor, size: int) -> torch.Tensor:
    """Sample coordinates (K, P) in cells (cell i at i) -> grid_sample's align_corners=True units, clamped
    to the map first (torchvision clamps samples in [-1, 0) to 0 and in (size - 1, size] to size - 1)."""
    return coords.clamp(0, size - 1) * (2.0 / max(size - 1, 1)) - 1.0


def roi_align(feat: torch.Tensor, rois: torch.Tensor, output_size: int, spatial_scale: float,
              sampling_ratio: int = 2, aligned: bool = True) -> torch.Tensor:
    """feat (B, C, H, W); rois (K, 5) [batch index, x1, y1, x2, y2] in input pixels (``spatial_scale`` =
    1 / stride maps them onto ``feat``) -> (K, C, S, S), S = ``output_size``.

    Each output bin averages ``sampling_ratio``^2 bilinear samples at evenly spaced points inside it;
    ``aligned`` shifts the box by half a pixel (pixel centres at +0.5) as Detectron2 and torchvision's
    ``aligned=True`` do; samples more than one cell outside the map count as zero (torchvision's rule).
    The samples are taken by ``grid_sample`` (bilinear, one call per image), which has a fast kernel and
    gradient on every device and exports to ONNX GridSample (opset 16+).
    """
    b, c, h, w = feat.shape
    k, s, r = rois.shape[0], output_size, sampling_ratio
    if k == 0:
        return feat.new_zeros((0, c, s, s))
    offset = 0.5 if aligned else 0.0
    x1, y1 = rois[:, 1] * spatial_scale - offset, rois[:, 2] * spatial_scale - offset
    rw, rh = rois[:, 3] * spatial_scale - offset - x1, rois[:, 4] * spatial_scale - offset - y1
    if not aligned:
        rw, rh = rw.clamp(min=1.0), rh.clamp(min=1.0)
    grid = (torch.arange(s * r, dtype=feat.dtype, device=feat.device) + 0.5) / r  # in bin units
    xs = x1[:, None] + grid[None] * (rw / s)[:, None]  # (K, S*r)
    ys = y1[:, None] + grid[None] * (rh / s)[:, None]
    valid = (((ys >= -1.0) & (ys <= h))[:, :, None] & ((xs >= -1.0) & (xs <= w))[:, None, :]).to(feat.dtype)
    n = s * r
    points = torch.stack((_normalised(xs, w)[:, None, :].expand(k, n, n),
                          _normalised(ys, h)[:, :, None].expand(k, n, n)), -1)  # (K, n, n, 2) x, y
    batch_index = rois[:, 0].long()
    parts, order = [], []
    for i in range(b):
        idx = torch.nonzero(batch_index == i).reshape(-1)
        grid_i = points.index_select(0, idx).reshape(1, -1, n, 2)
        got = F.grid_sample(feat[i:i + 1], grid_i, mode="bilinear", padding_mode="border", align_corners=True)
        parts.append(got.reshape(c, -1, n, n).permute(1, 0, 2, 3))
        order.append(idx)
    samples = torch.cat(parts).index_select(0, torch.argsort(torch.cat(order)))  # back to the rois' order
    return F.avg_pool2d(samples * valid[:, None], r)


def roi_levels(boxes: torch.Tensor, k_min: int, k_max: int, canonical_size: float = 224.0,
               canonical_level: int = 4) -> torch.Tensor:
    """boxes (K, 4) xyxy input pixels -> (K,) int64 level index 0 .. k_max - k_min: level
    k = floor(canonical_level + log2(sqrt(w * h) / canonical_size)) clamped to [k_min, k_max]."""
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).clamp(min=0)
    k = torch.floor(canonical_level + torch.log2(area.sqrt() / canonical_size + 1e-8) + 1e-6)
    return (k.clamp(k_min, k_max) - k_min).long()


def multiscale_roi_align(feats: Sequence[torch.Tensor], strides: Sequence[int], rois: torch.Tensor,
                         output_size: int = 7, sampling_ratio: int = 2) -> torch.Tensor:
    """feats: maps (B, C, H/s, W/s), one per stride in ``strides`` (ascending, e.g. 4, 8, 16, 32 for
    P2-P5); rois (K, 5) [batch index, x1, y1, x2, y2] input pixels -> (K, C, S, S), each box pooled from
    the level its size picks (``roi_levels`` with k_min, k_max = log2 of the smallest, largest stride)."""
    k_min, k_max = int(math.log2(strides[0])), int(math.log2(strides[-1]))
    levels = roi_levels(rois[:, 1:], k_min, k_max)
    parts, order = [], []
    for level, (feat, stride) in enumerate(zip(feats, strides, strict=True)):
        idx = torch.nonzero(levels == level).reshape(-1)
        parts.append(roi_align(feat, rois.index_select(0, idx), output_size, 1.0 / stride, sampling_ratio))
        order.append(idx)
    return torch.cat(parts).index_select(0, torch.argsort(torch.cat(order)))
