"""Anchor points of an anchor-free head: one per feature-map cell, at the cell centre, in input pixels."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def make_anchors(feats: Sequence[torch.Tensor], strides: Sequence[int],
                 offset: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """feats: maps (B, C, h_i, w_i), one per stride (ascending) -> (points (A, 2) xy pixels of the network
    input, strides (A, 1)), A = sum(h_i * w_i).

    Order: stride-major, then row-major (y, x), i.e. the order of ``cat([f.flatten(2) for f in feats], 2)``.
    Point of cell (y, x) at stride s: ((x + offset) * s, (y + offset) * s). Built from the shapes with torch
    ops only, so it traces into ONNX with dynamic spatial sizes.
    """
    points, stride_list = [], []
    for feat, stride in zip(feats, strides, strict=True):
        h, w = feat.shape[2], feat.shape[3]
        kw = {"dtype": feat.dtype, "device": feat.device}
        sx = torch.arange(w, **kw) + offset
        sy = torch.arange(h, **kw) + offset
        gy, gx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((gx, gy), -1).reshape(-1, 2) * stride)
        stride_list.append(torch.full_like(gx.reshape(-1, 1), float(stride)))
    return torch.cat(points), torch.cat(stride_list)
