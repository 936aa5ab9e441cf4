"""Anchor boxes of a region proposal network (Ren et al. 2015): per FPN level one size and several
aspect ratios at every cell, as torchvision's ``AnchorGenerator``."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def base_anchors(size: float, ratios: Sequence[float]) -> torch.Tensor:
    """(A, 4) xyxy boxes centred on 0, one per ratio (height / width), each of area size^2, rounded."""
    r = torch.tensor(ratios, dtype=torch.float32)
    h, w = r.sqrt() * size, size / r.sqrt()
    return (torch.stack((-w, -h, w, h), 1) / 2).round()


def grid_anchors(feat: torch.Tensor, stride: int, base: torch.Tensor) -> torch.Tensor:
    """feat (B, C, h, w), base (A, 4) -> (h * w * A, 4) xyxy input pixels: cell (y, x) shifts the base
    anchors by (x * stride, y * stride); order row-major cells, then anchors (the RPN head's order).
    Built from the map's shape with torch ops, so it traces into ONNX."""
    h, w = feat.shape[2], feat.shape[3]
    kw = {"dtype": feat.dtype, "device": feat.device}
    sy, sx = torch.meshgrid(torch.arange(h, **kw) * stride, torch.arange(w, **kw) * stride, indexing="ij")
    shifts = torch.stack((sx, sy, sx, sy), -1).reshape(-1, 1, 4)
    return (shifts + base.to(**kw).reshape(1, -1, 4)).reshape(-1, 4)
