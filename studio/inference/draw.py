"""Drawing detections onto an RGB image: a box per object in its class colour and a filled label
(class name and score) whose text is black or white, whichever reads better on that colour; for pose
models also each object's keypoints and skeleton, coloured by keypoint confidence (red low, green high)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

# the YOLO family's palette: 20 colours that stay distinct on photographs (RGB hex)
PALETTE = ("FF3838", "FF9D97", "FF701F", "FFB21D", "CFD231", "48F90A", "92CC17", "3DDB86", "1A9334", "00D4BB",
           "2C99A8", "00C2FF", "344593", "6473FF", "0018EC", "8438FF", "520085", "CB38FF", "FF95C8", "FF37C7")
GT_COLOR = (0, 200, 0)  # ground truth boxes in plots: green


def class_color(cls: int) -> tuple[int, int, int]:
    """The RGB colour of a class index (the palette repeats after 20 classes)."""
    code = PALETTE[int(cls) % len(PALETTE)]
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def class_name(names: Sequence[str], cls: int) -> str:
    return names[cls] if 0 <= cls < len(names) else str(cls)


def draw_detections(img: np.ndarray, dets: np.ndarray, names: Sequence[str], *,
                    line_width: int | None = None, keypoints: np.ndarray | None = None,
                    skeleton: Sequence[tuple[int, int]] = (), kpt_conf: float = 0.5) -> np.ndarray:
    """A copy of ``img`` (H, W, 3) uint8 RGB with ``dets`` (n, 6 + 3K) x1, y1, x2, y2 (ORIGINAL pixels),
    score, class index (then x, y, conf per keypoint for a pose model) drawn on it; the highest scores are
    drawn last (on top). Keypoints: ``keypoints`` (n, K, 3) [x, y, conf] when given, else the rows' keypoint
    columns; they and their ``skeleton`` (1-based edges) are drawn over the boxes by ``draw_keypoints``."""
    dets = np.asarray(dets, dtype=np.float32)
    dets = dets.reshape(-1, dets.shape[-1] if dets.ndim == 2 else 6)
    if keypoints is None and dets.shape[1] > 6:
        keypoints = dets[:, 6:].reshape(len(dets), (dets.shape[1] - 6) // 3, 3)
    order = np.argsort(dets[:, 4], kind="stable")
    dets = dets[order]
    colors = [class_color(int(c)) for c in dets[:, 5]]
    labels = [f"{class_name(names, int(c))} {s:.2f}" for s, c in dets[:, 4:6].tolist()]
    out = draw_boxes(img, dets[:, :4], colors, labels, line_width=line_width)
    if keypoints is None:
        return out
    kpts = np.asarray(keypoints, dtype=np.float32)
    if len(kpts) != len(order):
        raise ValueError(f"{len(kpts)} objects of keypoints for {len(order)} detections")
    return draw_keypoints(out, kpts[order], skeleton, conf=kpt_conf, line_width=line_width)


def draw_keypoints(img: np.ndarray, kpts: np.ndarray, skeleton: Sequence[tuple[int, int]], *,
                   conf: float = 0.5, radius: int | None = None, line_width: int | None = None) -> np.ndarray:
    """A copy of ``img`` (H, W, 3) uint8 RGB with ``kpts`` (n, K, 3) [x, y, conf] (pixels, conf in [0, 1])
    drawn on it: each ``skeleton`` edge (1-based keypoint indices, COCO's convention) whose two ends have
    conf >= ``conf``, coloured by the lower of the two, then each keypoint with conf >= ``conf`` as a
    filled dot, coloured by its own (``confidence_color``). Line width and radius scale with the image as
    ``draw_boxes``' line width does, unless given. ValueError for an edge outside 1..K."""
    out = np.ascontiguousarray(img, dtype=np.uint8).copy()
    kpts = np.asarray(kpts, dtype=np.float32).reshape(len(kpts), -1, 3) if len(kpts) else np.zeros((0, 0, 3))
    k = kpts.shape[1]
    bad = [edge for edge in skeleton if not all(1 <= int(i) <= k for i in edge)]
    if bad and len(kpts):
        raise ValueError(f"skeleton edge {tuple(bad[0])} refers to a keypoint outside 1..{k}")
    lw = line_width or max(round(sum(out.shape[:2]) / 2 * 0.003), 2)
    r = radius or lw + 2
    for points in kpts:
        for a, b in skeleton:
            (xa, ya, ca), (xb, yb, cb) = points[int(a) - 1], points[int(b) - 1]
            if ca >= conf and cb >= conf:
                cv2.line(out, (round(float(xa)), round(float(ya))), (round(float(xb)), round(float(yb))),
                         confidence_color(min(ca, cb)), lw, cv2.LINE_AA)
        for x, y, c in points:
            if c >= conf:
                cv2.circle(out, (round(float(x)), round(float(y))), r, confidence_color(c), -1, cv2.LINE_AA)
    return out


def confidence_color(conf: float) -> tuple[int, int, int]:
    """RGB from red (conf 0) through yellow (0.5) to green (1): the hue runs 0 -> 120 degrees."""
    c = min(max(float(conf), 0.0), 1.0)
    return round(255 * min(1.0, 2 * (1 - c))), round(255 * min(1.0, 2 * c)), 0


def draw_boxes(img: np.ndarray, boxes: np.ndarray, colors: Sequence[tuple[int, int, int]],
               labels: Sequence[str | None], *, line_width: int | None = None,
               below: bool = False) -> np.ndarray:
    """A copy of ``img`` (H, W, 3) uint8 RGB with (n, 4) xyxy pixel ``boxes`` outlined in ``colors`` (RGB),
    each with its label (None: no label) on a filled tab above the box's top-left corner (inside the box
    at the image's top edge); ``below``: under its bottom-left corner instead (inside at the bottom edge)."""
    out = np.ascontiguousarray(img, dtype=np.uint8).copy()
    lw = line_width or max(round(sum(out.shape[:2]) / 2 * 0.003), 2)
    for box, color, label in zip(np.asarray(boxes, dtype=np.float32).reshape(-1, 4), colors, labels,
                                 strict=True):
        x1, y1, x2, y2 = (round(float(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), color, lw, cv2.LINE_AA)
        if label:
            _label(out, label, (x1, y2) if below else (x1, y1), color, lw, below)
    return out


def _label(img: np.ndarray, text: str, corner: tuple[int, int], color: tuple[int, int, int], lw: int,
           below: bool) -> None:
    """A filled tab with ``text`` outside the box at ``corner`` (above it, or below it when ``below``),
    moved inside the box when that would leave the image."""
    scale, thickness = lw / 3, max(lw - 1, 1)
    (tw, th), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    h = th + baseline + 2
    x = min(max(corner[0], 0), max(img.shape[1] - tw - 2, 0))
    fits = corner[1] + h <= img.shape[0] if below else corner[1] - h >= 0
    y = corner[1] + h if below == fits else corner[1]  # y is the tab's bottom edge
    y = min(max(y, h), img.shape[0])
    cv2.rectangle(img, (x, y - h), (x + tw + 2, y), color, -1, cv2.LINE_AA)
    cv2.putText(img, text, (x + 1, y - baseline - 1), cv2.FONT_HERSHEY_SIMPLEX, scale, _text_color(color),
                thickness, cv2.LINE_AA)


def _text_color(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black on light colours, white on dark ones (ITU-R BT.601 luma)."""
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)
