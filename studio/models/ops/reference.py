"""Direct references for the vectorised ops, written as the kernels are (one box at a time, plain
Python loops): what the tests and benches check ``roi_align`` and ``nms`` against. Slow on purpose."""

from __future__ import annotations

import torch


def _bilinear(f: torch.Tensor, y: float, x: float) -> torch.Tensor:
    """f (C, H, W) at (y, x), torchvision's rules: zero outside [-1, size], clamp at the edges."""
    _, h, w = f.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return torch.zeros(f.shape[0], dtype=f.dtype)
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * f[:, y0, x0] + (1 - ly) * lx * f[:, y0, x1]
            + ly * (1 - lx) * f[:, y1, x0] + ly * lx * f[:, y1, x1])


def direct_roi_align(feat: torch.Tensor, rois: torch.Tensor, size: int, scale: float, ratio: int,
                     aligned: bool = True) -> torch.Tensor:
    """RoIAlign one box, one bin, one sample at a time: feat (B, C, H, W), rois (K, 5) -> (K, C, S, S)."""
    out = torch.zeros(rois.shape[0], feat.shape[1], size, size, dtype=feat.dtype)
    off = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        sx, sy = x1 * scale - off, y1 * scale - off
        rw, rh = x2 * scale - off - sx, y2 * scale - off - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bw, bh = rw / size, rh / size
        for py in range(size):
            for px in range(size):
                acc = torch.zeros(feat.shape[1], dtype=feat.dtype)
                for iy in range(ratio):
                    for ix in range(ratio):
                        y = sy + py * bh + (iy + 0.5) * bh / ratio
                        x = sx + px * bw + (ix + 0.5) * bw / ratio
                        acc += _bilinear(feat[int(b)], y, x)
                out[k, :, py, px] = acc / ratio**2
    return out


def direct_iou(a: list[float], b: list[float]) -> float:
    """IoU of two xyxy boxes given as lists of floats."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / (union + 1e-7)


def direct_nms(boxes: list[list[float]], scores: list[float], thr: float,
               classes: list[int] | None = None) -> list[int]:
    """The textbook greedy loop: visit by descending score (ties in input order), keep a box unless a kept
    box of its class overlaps it by IoU > thr. Lists in, the kept indices out."""
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    keep: list[int] = []
    for i in order:
        if all(direct_iou(boxes[i], boxes[j]) <= thr or (classes is not None and classes[i] != classes[j])
               for j in keep):
            keep.append(i)
    return keep
