"""Reading an image file into RGB pixels (EXIF orientation applied) and resizing its long side."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from studio.errors import DatasetFormatError

PAD_VALUE = 114  # the grey that letterboxing, mosaics and warps fill with (as the YOLO family does)


def read_rgb(path: str | Path) -> np.ndarray:
    """The image as (H, W, 3) uint8 RGB, EXIF orientation applied (so boxes of the dataset fit it).

    Raises DatasetFormatError naming the file when it is missing or cannot be decoded.
    """
    try:
        data = np.fromfile(path, dtype=np.uint8)  # not cv2.imread: it cannot open non-ASCII paths on Windows
    except OSError as exc:
        raise _unreadable(path, exc.strerror or type(exc).__name__) from exc
    try:
        bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    except cv2.error as exc:
        raise _unreadable(path, f"the decoder failed ({exc.msg or exc})") from exc
    if bgr is None:
        raise _unreadable(path, "empty file" if not data.size else "not an image OpenCV can read")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _unreadable(path: str | Path, why: str) -> DatasetFormatError:
    return DatasetFormatError(path, None, f"cannot decode this image: {why}; fix or remove it "
                                          "(tern data check finds such files)")


def resized_shape(h: int, w: int, size: int) -> tuple[int, int]:
    """(h, w) after scaling the long side to ``size`` (each side rounded, at least 1, at most size)."""
    r = size / max(h, w)
    return min(max(round(h * r), 1), size), min(max(round(w * r), 1), size)


def resize_long_side(img: np.ndarray, size: int, *, fast: bool) -> np.ndarray:
    """Scale (H, W, 3) so its long side is ``size`` (aspect kept).

    fast: bilinear always (training); else area interpolation when shrinking (validation quality).
    Returns ``img`` itself when it already has that shape.
    """
    h, w = img.shape[:2]
    nh, nw = resized_shape(h, w, size)
    if (nh, nw) == (h, w):
        return img
    interp = cv2.INTER_LINEAR if fast or nh > h else cv2.INTER_AREA
    return cv2.resize(img, (nw, nh), interpolation=interp)
