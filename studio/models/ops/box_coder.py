"""Box deltas of the R-CNN family (Girshick et al. 2014): a box relative to a reference box as
(dx, dy, dw, dh) = (wx (cx - cx_r) / w_r, wy (cy - cy_r) / h_r, ww log(w / w_r), wh log(h / h_r))."""

from __future__ import annotations

import math

import torch

Weights = tuple[float, float, float, float]
CLIP = math.log(1000.0 / 16)  # largest dw, dh decoded (keeps exp() finite), as torchvision / Detectron2


def encode(boxes: torch.Tensor, refs: torch.Tensor, weights: Weights) -> torch.Tensor:
    """boxes, refs (N, 4) xyxy -> deltas (N, 4) of ``boxes`` relative to ``refs``."""
    wx, wy, ww, wh = weights
    rw, rh = refs[:, 2] - refs[:, 0], refs[:, 3] - refs[:, 1]
    rx, ry = refs[:, 0] + 0.5 * rw, refs[:, 1] + 0.5 * rh
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    bx, by = boxes[:, 0] + 0.5 * bw, boxes[:, 1] + 0.5 * bh
    return torch.stack((wx * (bx - rx) / rw, wy * (by - ry) / rh,
                        ww * torch.log(bw / rw), wh * torch.log(bh / rh)), 1)


def decode(deltas: torch.Tensor, refs: torch.Tensor, weights: Weights) -> torch.Tensor:
    """deltas (N, ..., 4) (one or more per reference), refs (N, 4) xyxy -> boxes (N, ..., 4) xyxy."""
    wx, wy, ww, wh = weights
    shape = (refs.shape[0],) + (1,) * (deltas.dim() - 2)
    rw, rh = (refs[:, 2] - refs[:, 0]).reshape(shape), (refs[:, 3] - refs[:, 1]).reshape(shape)
    rx, ry = refs[:, 0].reshape(shape) + 0.5 * rw, refs[:, 1].reshape(shape) + 0.5 * rh
    dx, dy = deltas[..., 0] / wx, deltas[..., 1] / wy
    dw, dh = (deltas[..., 2] / ww).clamp(max=CLIP), (deltas[..., 3] / wh).clamp(max=CLIP)
    cx, cy = dx * rw + rx, dy * rh + ry
    w, h = torch.exp(dw) * rw, torch.exp(dh) * rh
    return torch.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), -1)


def clip_boxes(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """boxes (..., 4) xyxy clipped to the image [0, width] x [0, height]."""
    x = boxes[..., 0::2].clamp(0, width)
    y = boxes[..., 1::2].clamp(0, height)
    return torch.stack((x[..., 0], y[..., 0], x[..., 1], y[..., 1]), -1)
