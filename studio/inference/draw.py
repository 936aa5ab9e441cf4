"""Drawing detections onto an RGB image: a box per object in its class colour and a filled label
(class name and score) whose text is black or white, whichever reads better on that colour."""

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
                    line_width: int | None = None) -> np.ndarray:
    """A copy of ``img`` (H, W, 3) uint8 RGB with ``dets`` (n, 6) x1, y1, x2, y2 (ORIGINAL pixels), score,
    class index drawn on it; the highest scores are drawn last (on top)."""
    dets = np.asarray(dets, dtype=np.float32).reshape(-1, 6)
    dets = dets[np.argsort(dets[:, 4], kind="stable")]
    colors = [class_color(int(c)) for c in dets[:, 5]]
    labels = [f"{class_name(names, int(c))} {s:.2f}" for s, c in dets[:, 4:6].tolist()]
    return draw_boxes(img, dets[:, :4], colors, labels, line_width=line_width)


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
