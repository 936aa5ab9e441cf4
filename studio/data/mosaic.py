"""The 4-image mosaic (YOLOv8's Mosaic with n=4): four images around a random centre of a 2S x 2S canvas."""

from __future__ import annotations

import numpy as np

from studio.data.decode import PAD_VALUE
from studio.data.keypoints import shift_keypoints, zero_outside


def _placement(i: int, xc: int, yc: int, h: int, w: int, s: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(canvas x1, y1, x2, y2), (image x1, y1, x2, y2) of image ``i`` (0 top-left, 1 top-right,
    2 bottom-left, 3 bottom-right) whose corner touches the centre (xc, yc) of a 2s canvas."""
    if i == 0:
        a = (max(xc - w, 0), max(yc - h, 0), xc, yc)
        return a, (w - (a[2] - a[0]), h - (a[3] - a[1]), w, h)
    if i == 1:
        a = (xc, max(yc - h, 0), min(xc + w, 2 * s), yc)
        return a, (0, h - (a[3] - a[1]), min(w, a[2] - a[0]), h)
    if i == 2:
        a = (max(xc - w, 0), yc, xc, min(2 * s, yc + h))
        return a, (w - (a[2] - a[0]), 0, w, min(a[3] - a[1], h))
    a = (xc, yc, min(xc + w, 2 * s), min(2 * s, yc + h))
    return a, (0, 0, min(w, a[2] - a[0]), min(a[3] - a[1], h))


def mosaic4(images: list[np.ndarray], labels: list[np.ndarray], size: int,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Tile four (h, w, 3) uint8 images (long side ``size``) around a centre uniform in [S/2, 3S/2).

    labels: four (n, 5 + 3K) [cls, x1, y1, x2, y2, keypoints...] arrays in their image's pixels (one K).
    Returns (canvas (2S, 2S, 3) uint8 filled with grey 114, labels (m, 5 + 3K) in canvas pixels: boxes
    clipped to the canvas, boxes left without area dropped with their keypoints, keypoints off the canvas
    (0, 0, 0)). Draws two numbers from ``rng``.
    """
    s = size
    xc = int(rng.uniform(s / 2, 3 * s / 2))
    yc = int(rng.uniform(s / 2, 3 * s / 2))
    canvas = np.full((2 * s, 2 * s, 3), PAD_VALUE, dtype=np.uint8)
    shifted = []
    for i, (img, lab) in enumerate(zip(images, labels, strict=True)):
        h, w = img.shape[:2]
        (x1a, y1a, x2a, y2a), (x1b, y1b, x2b, y2b) = _placement(i, xc, yc, h, w, s)
        canvas[y1a:y2a, x1a:x2a] = img[y1b:y2b, x1b:x2b]
        moved = shift_keypoints(lab, x1a - x1b, y1a - y1b)
        moved[:, [1, 3]] += x1a - x1b
        moved[:, [2, 4]] += y1a - y1b
        shifted.append(moved)
    out = np.concatenate(shifted, 0) if shifted else np.zeros((0, 5), np.float32)
    out = zero_outside(out, 2 * s, 2 * s)
    np.clip(out[:, 1:5], 0, 2 * s, out=out[:, 1:5])
    keep = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2])
    return canvas, out[keep]
