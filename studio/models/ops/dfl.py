"""Box coding of the DFL head (Distribution Focal Loss, Li et al. 2020): a box is four distances (left, top,
right, bottom) from an anchor point, each predicted as a softmax over ``reg_max`` integer bins 0..reg_max-1.
"""

from __future__ import annotations

import torch


def dfl_decode(logits: torch.Tensor, reg_max: int) -> torch.Tensor:
    """logits (..., 4 * reg_max), laid out side-major (4, reg_max) -> (..., 4) expected ltrb distances
    (softmax over the bins, dotted with 0..reg_max-1), in stride units."""
    probs = logits.unflatten(-1, (4, reg_max)).softmax(-1)
    bins = torch.arange(reg_max, dtype=probs.dtype, device=probs.device)
    return (probs * bins).sum(-1)


def dist2bbox(dist: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """dist (..., 4) ltrb, points (..., 2) xy (broadcast) -> (..., 4) xyxy, in the same units."""
    lt, rb = dist[..., :2], dist[..., 2:]
    return torch.cat((points - lt, points + rb), -1)


def bbox2dist(points: torch.Tensor, boxes: torch.Tensor, reg_max: int | None) -> torch.Tensor:
    """points (A, 2) xy, boxes (..., 4) xyxy (broadcast; e.g. (B, A, 4)) -> (..., 4) ltrb distances in the
    same units, clamped to [0, reg_max - 1 - 0.01] (the range the bins can express); no clamp when
    ``reg_max`` is None."""
    dist = torch.cat((points - boxes[..., :2], boxes[..., 2:] - points), -1)
    if reg_max is None:
        return dist
    return dist.clamp(0, reg_max - 1 - 0.01)
