"""Random affine warp (rotation, zoom, shear, translation) of an image, its boxes and keypoints, as
YOLOv8's random_perspective without the perspective term."""

from __future__ import annotations

import math

import cv2
import numpy as np

from studio.data.decode import PAD_VALUE
from studio.data.keypoints import transform_keypoints, zero_outside


def affine_matrix(h: int, w: int, out_size: int, rng: np.random.Generator, *, degrees: float,
                  translate: float, scale: float, shear: float) -> tuple[np.ndarray, float]:
    """(M (3, 3) float64 mapping input pixels to output pixels, zoom factor s).

    The input centre goes to the origin, is rotated and zoomed, sheared, then moved to a point uniform in
    [0.5 - translate, 0.5 + translate] * out_size on each axis. Always draws six numbers from ``rng``.
    """
    centre = np.eye(3)
    centre[0, 2], centre[1, 2] = -w / 2, -h / 2
    angle = rng.uniform(-degrees, degrees)
    s = rng.uniform(1 - scale, 1 + scale)
    rotate = np.eye(3)
    rotate[:2] = cv2.getRotationMatrix2D(angle=angle, center=(0, 0), scale=s)
    skew = np.eye(3)
    skew[0, 1] = math.tan(math.radians(rng.uniform(-shear, shear)))
    skew[1, 0] = math.tan(math.radians(rng.uniform(-shear, shear)))
    move = np.eye(3)
    move[0, 2] = rng.uniform(0.5 - translate, 0.5 + translate) * out_size
    move[1, 2] = rng.uniform(0.5 - translate, 0.5 + translate) * out_size
    return move @ skew @ rotate @ centre, s


def transform_boxes(boxes: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The (n, 4) xyxy boxes enclosing each box's four corners mapped by the 3x3 affine ``m``."""
    n = len(boxes)
    if n == 0:
        return np.zeros((0, 4), dtype=np.float32)
    corners = np.ones((n * 4, 3))
    corners[:, :2] = boxes[:, [0, 1, 2, 3, 0, 3, 2, 1]].reshape(n * 4, 2)  # x1y1, x2y2, x1y2, x2y1
    xy = (corners @ m.T)[:, :2].reshape(n, 8)
    x, y = xy[:, 0::2], xy[:, 1::2]
    return np.stack([x.min(1), y.min(1), x.max(1), y.max(1)], 1).astype(np.float32)


def box_candidates(before: np.ndarray, after: np.ndarray, wh_thr: float = 2.0, ar_thr: float = 100.0,
                   area_thr: float = 0.1, eps: float = 1e-16) -> np.ndarray:
    """(n,) bool: boxes still worth training on after a warp.

    before: (n, 4) xyxy before the warp, already multiplied by the zoom; after: (n, 4) xyxy clipped.
    Kept when wider and taller than ``wh_thr`` px, keeping more than ``area_thr`` of their area and
    with an aspect ratio under ``ar_thr``.
    """
    w1, h1 = before[:, 2] - before[:, 0], before[:, 3] - before[:, 1]
    w2, h2 = after[:, 2] - after[:, 0], after[:, 3] - after[:, 1]
    aspect = np.maximum(w2 / (h2 + eps), h2 / (w2 + eps))
    return (w2 > wh_thr) & (h2 > wh_thr) & (w2 * h2 / (w1 * h1 + eps) > area_thr) & (aspect < ar_thr)


def random_affine(img: np.ndarray, labels: np.ndarray, rng: np.random.Generator, *, out_size: int,
                  degrees: float = 0.0, translate: float = 0.1, scale: float = 0.5,
                  shear: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Warp (H, W, 3) uint8 to (out_size, out_size, 3) and carry its labels along.

    labels: (n, 5 + 3K) [cls, x1, y1, x2, y2, keypoints...] input pixels. Boxes are mapped by their four
    corners, clipped to the output and filtered by ``box_candidates``; keypoints are mapped by the same
    matrix, those outside the output become (0, 0, 0) and a dropped box takes its keypoints with it.
    The border is filled with grey 114. A mosaic canvas (2S x 2S) warped to S x S crops its centre
    region, as YOLOv8's border = -S/2 does.
    """
    h, w = img.shape[:2]
    m, s = affine_matrix(h, w, out_size, rng, degrees=degrees, translate=translate, scale=scale, shear=shear)
    if (h, w) != (out_size, out_size) or not np.array_equal(m, np.eye(3)):
        img = cv2.warpAffine(img, m[:2], dsize=(out_size, out_size),
                             borderValue=(PAD_VALUE, PAD_VALUE, PAD_VALUE))
    boxes = transform_boxes(labels[:, 1:5], m)
    np.clip(boxes, 0, out_size, out=boxes)
    keep = box_candidates(labels[:, 1:5] * s, boxes)
    kpts = zero_outside(transform_keypoints(labels, m), out_size, out_size)[:, 5:]
    out = np.concatenate([labels[keep, :1], boxes[keep], kpts[keep]], 1).astype(np.float32)
    return img, out
