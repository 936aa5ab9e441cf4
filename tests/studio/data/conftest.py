"""Synthetic scenes for the data tests: filled rectangles of distinct colours on black, written as PNG,
and a way to find where a colour ended up after a transform (so boxes can be checked against pixels)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.data.records import ImageRecord

COLOURS = np.array([(230, 30, 30), (30, 230, 30), (30, 30, 230), (230, 230, 30), (230, 30, 230),
                    (30, 230, 230), (240, 240, 240), (140, 60, 10)], dtype=np.int64)
GROW = np.array([-4.0, -4.0, 4.0, 4.0])  # xyxy offsets: a box grown by 4 px


def draw(h: int, w: int, boxes: list[tuple[int, int, int, int]], classes: list[int]) -> np.ndarray:
    """(h, w, 3) uint8 RGB: black, with box i filled in COLOURS[classes[i]]."""
    img = np.zeros((h, w, 3), dtype=np.uint8)
    for (x1, y1, x2, y2), c in zip(boxes, classes, strict=True):
        img[y1:y2, x1:x2] = COLOURS[c]
    return img


def region(img: np.ndarray, cls: int, window: np.ndarray | None = None, tol: int = 40,
           exclude: np.ndarray | None = None) -> np.ndarray | None:
    """xyxy pixel bounds of the pixels within ``tol`` of COLOURS[cls], inside ``window`` xyxy when given,
    and outside the (k, 4) ``exclude`` boxes except where they overlap ``window``'s own box; None when
    there are none."""
    mask = np.abs(img.astype(np.int64) - COLOURS[cls]).max(-1) <= tol
    if window is not None:
        mask &= _box_mask(mask.shape, window)
    if exclude is not None and len(exclude):
        others = np.any([_box_mask(mask.shape, box) for box in exclude], axis=0)
        own = _box_mask(mask.shape, window - GROW) if window is not None else False
        mask &= ~others | own
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float64)


def _box_mask(shape: tuple[int, int], box: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = np.clip(np.round(box).astype(int), 0, None)
    inside = np.zeros(shape, dtype=bool)
    inside[y1:y2, x1:x2] = True
    return inside


def assert_boxes_follow_pixels(img: np.ndarray, labels: np.ndarray, tol: float = 2.0,
                               enclose: bool = False) -> None:
    """Every (cls, x1, y1, x2, y2) row fits its colour's pixels near it, within ``tol`` px.

    The pixels looked at lie within 4 px of the box. enclose: only require them to lie inside the box
    (+ tol) and, unless a sliver, to cover a good part of it (IoU > 0.3): a rotated box is the bounding
    box of the rotated corners, larger than what stays visible when the image edge cuts the rotated
    object. Other objects of the same class (e.g. the same image twice in a mosaic) are masked out by
    their boxes.
    """
    labels = np.asarray(labels, dtype=np.float64)
    for i, row in enumerate(labels):
        cls, box = int(row[0]), row[1:5]
        others = np.array([b[1:5] + GROW / 4 for j, b in enumerate(labels) if j != i and b[0] == cls])
        found = region(img, cls, window=box + GROW, exclude=others.reshape(-1, 4))
        assert found is not None, f"no pixels of class {cls} near {box}"
        if not enclose:
            np.testing.assert_allclose(found, box, atol=tol, err_msg=f"class {cls}")
            continue
        assert (found[:2] >= box[:2] - tol).all() and (found[2:] <= box[2:] + tol).all(), (cls, found, box)
        if min(box[2] - box[0], box[3] - box[1]) >= 8:  # (slivers cut by the edge are all corner area)
            assert _iou(found, box) > 0.3, (cls, found, box)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    h = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union


@pytest.fixture
def scene(tmp_path: Path) -> Callable[..., ImageRecord]:
    """scene(h, w, boxes, classes, image_id=1, crowd=None) -> ImageRecord of a PNG written to tmp_path."""

    def make(h: int, w: int, boxes: list[tuple[int, int, int, int]], classes: list[int], image_id: int = 1,
             crowd: list[bool] | None = None) -> ImageRecord:
        path = tmp_path / f"scene{image_id}.png"
        cv2.imwrite(str(path), cv2.cvtColor(draw(h, w, boxes, classes), cv2.COLOR_RGB2BGR))
        return ImageRecord(image_id, str(path), w, h, np.asarray(boxes, np.float32).reshape(-1, 4),
                           np.asarray(classes, np.int64), np.asarray(crowd or [False] * len(boxes), bool))

    return make


def draw_markers(h: int, w: int, keypoints: np.ndarray, half: int = 2) -> np.ndarray:
    """(h, w, 3) uint8 RGB: black, with a (2 * half + 1) px square of COLOURS[k] centred on each labeled
    keypoint k of the (n, K, 3) ``keypoints`` (put keypoints on pixel centres, i + 0.5, so the square's
    centre is the keypoint)."""
    img = np.zeros((h, w, 3), dtype=np.uint8)
    for obj in np.asarray(keypoints).reshape(-1, np.asarray(keypoints).shape[-2], 3):
        for k, (x, y, v) in enumerate(obj):
            if v > 0:
                cx, cy = int(x), int(y)
                img[max(cy - half, 0):cy + half + 1, max(cx - half, 0):cx + half + 1] = COLOURS[k]
    return img


def marker_centre(img: np.ndarray, k: int, near: np.ndarray, window: float = 6.0) -> np.ndarray | None:
    """The (x, y) centre, in continuous pixels (pixel i spans [i, i + 1)), of the COLOURS[k] marker within
    ``window`` px of ``near``: each pixel weighs by how much of the colour it holds (the blend with black
    that interpolation makes at a marker's edge), so the centre survives resampling; None when none."""
    colour = COLOURS[k].astype(np.float64)
    px = img.astype(np.float64)
    amount = np.clip(px @ colour / (colour @ colour), 0.0, 1.0)
    weight = np.where(np.abs(px - amount[..., None] * colour).max(-1) <= 40, amount, 0.0)
    ys, xs = np.mgrid[0:img.shape[0], 0:img.shape[1]] + 0.5
    weight[(np.abs(xs - near[0]) > window) | (np.abs(ys - near[1]) > window)] = 0.0
    if weight.sum() < 0.5:
        return None
    return np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()


def assert_keypoints_on_markers(img: np.ndarray, labels: np.ndarray, order: tuple[int, ...] | None = None,
                                margin: float = 6.0, tol: float = 1.0) -> int:
    """Every labeled keypoint k of the (n, 5 + 3K) rows sits on the centre of its marker (COLOURS[order[k]],
    ``order`` None: COLOURS[k]) within ``tol`` px, unless it lies within ``margin`` px of the image edge
    (where the marker may be cut); returns how many were checked."""
    h, w = img.shape[:2]
    kpts = np.asarray(labels, dtype=np.float64)[:, 5:].reshape(len(labels), -1, 3)
    checked = 0
    for obj in kpts:
        for k, (x, y, v) in enumerate(obj):
            if v <= 0 or not (margin <= x <= w - margin and margin <= y <= h - margin):
                continue
            colour = k if order is None else order[k]
            found = marker_centre(img, colour, np.array([x, y]))
            assert found is not None, f"no marker of keypoint {k} near {(x, y)}"
            np.testing.assert_allclose(found, (x, y), atol=tol, err_msg=f"keypoint {k}")
            checked += 1
    return checked


def pose_rows(boxes: list[tuple[float, float, float, float]], classes: list[int],
              keypoints: np.ndarray) -> np.ndarray:
    """(n, 5 + 3K) float32 label rows [cls, x1, y1, x2, y2, x_1, y_1, v_1, ...]."""
    kpts = np.asarray(keypoints, np.float32).reshape(len(boxes), -1)
    head = np.array([[c, *b] for b, c in zip(boxes, classes, strict=True)], np.float32).reshape(-1, 5)
    return np.concatenate([head, kpts], 1)


@pytest.fixture
def pose_scene(tmp_path: Path) -> Callable[..., ImageRecord]:
    """pose_scene(h, w, boxes, keypoints (n, K, 3), classes=None, image_id=1, crowd=None) -> ImageRecord
    of a PNG (``draw_markers``) written to tmp_path; classes default to 0, 1, 2, ..."""

    def make(h: int, w: int, boxes: list[tuple[int, int, int, int]], keypoints: np.ndarray,
             classes: list[int] | None = None, image_id: int = 1,
             crowd: list[bool] | None = None) -> ImageRecord:
        kpts = np.asarray(keypoints, np.float32).reshape(len(boxes), -1, 3)
        path = tmp_path / f"pose{image_id}.png"
        cv2.imwrite(str(path), cv2.cvtColor(draw_markers(h, w, kpts), cv2.COLOR_RGB2BGR))
        cls = classes if classes is not None else list(range(len(boxes)))
        return ImageRecord(image_id, str(path), w, h, np.asarray(boxes, np.float32).reshape(-1, 4),
                           np.asarray(cls, np.int64), np.asarray(crowd or [False] * len(boxes), bool), kpts)

    return make
