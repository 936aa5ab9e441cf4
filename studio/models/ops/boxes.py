"""Box tensor ops: format conversion, pairwise IoU, and elementwise IoU / GIoU / CIoU.

Every box here is a float tensor whose last dimension is 4: xyxy (x1, y1, x2, y2) unless a function says
cxcywh (centre x, centre y, width, height). Units are whatever the caller uses (pixels, stride units).
"""

from __future__ import annotations

import math

import torch

IOU_KINDS = ("iou", "giou", "ciou")


def xyxy_to_cxcywh(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) xyxy -> (..., 4) cxcywh."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), -1)


def cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) cxcywh -> (..., 4) xyxy."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), -1)


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) xyxy -> (...) area; inverted boxes count as 0."""
    return (boxes[..., 2] - boxes[..., 0]).clamp(min=0) * (boxes[..., 3] - boxes[..., 1]).clamp(min=0)


def box_iou(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Pairwise IoU: a (N, 4) xyxy, b (M, 4) xyxy -> (N, M) = inter / (union + eps)."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter / (union + eps)


def bbox_iou(a: torch.Tensor, b: torch.Tensor, kind: str = "iou", eps: float = 1e-7) -> torch.Tensor:
    """Elementwise IoU of a (..., 4) and b (..., 4) xyxy (broadcast) -> (...).

    ``kind``: "iou"; "giou" (IoU minus the empty share of the enclosing box, in (-1, 1]); "ciou" (IoU minus
    the normalised centre distance and an aspect-ratio term, as YOLOv5/v8: heights get ``eps`` added and
    the aspect-ratio weight alpha carries no gradient). Identical boxes give 1 for every kind.
    """
    if kind not in IOU_KINDS:
        raise ValueError(f"unknown IoU kind {kind!r}; choose one of {', '.join(IOU_KINDS)}")
    ax1, ay1, ax2, ay2 = a.unbind(-1)
    bx1, by1, bx2, by2 = b.unbind(-1)
    w1, h1 = ax2 - ax1, ay2 - ay1 + eps
    w2, h2 = bx2 - bx1, by2 - by1 + eps
    inter = ((torch.minimum(ax2, bx2) - torch.maximum(ax1, bx1)).clamp(min=0)
             * (torch.minimum(ay2, by2) - torch.maximum(ay1, by1)).clamp(min=0))
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    if kind == "iou":
        return iou
    cw = torch.maximum(ax2, bx2) - torch.minimum(ax1, bx1)  # enclosing box
    ch = torch.maximum(ay2, by2) - torch.minimum(ay1, by1)
    if kind == "giou":
        c_area = cw * ch + eps
        return iou - (c_area - union) / c_area
    c2 = cw.pow(2) + ch.pow(2) + eps  # enclosing diagonal squared
    rho2 = ((bx1 + bx2 - ax1 - ax2).pow(2) + (by1 + by2 - ay1 - ay2).pow(2)) / 4
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def points_in_boxes(points: torch.Tensor, boxes: torch.Tensor, eps: float = 1e-9) -> torch.Tensor:
    """points (A, 2) xy, boxes (..., 4) xyxy -> (..., A) bool: the point lies strictly inside the box (its
    smallest distance to an edge is > eps)."""
    lt = points - boxes[..., None, :2]
    rb = boxes[..., None, 2:] - points
    return torch.cat((lt, rb), -1).amin(-1) > eps
