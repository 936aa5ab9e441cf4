"""Conversions between domain values and stored columns.

* keypoints: ``(K, 3)`` float64 (x, y, v) <-> BLOB of little-endian float64, ``K * 3 * 8`` bytes;
* JSON columns (extra, keypoint names, skeleton, meta values): compact JSON text;
* boxes: four REAL columns x1, y1, x2, y2 (pixels, float64, exact).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from studio.errors import ProjectError

KEYPOINT_DTYPE = np.dtype("<f8")
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # made once, for bulk imports


def dumps(value: Any) -> str:
    """Compact JSON (the same value always gives the same text)."""
    return _ENCODER.encode(value)


def loads(text: str | None) -> Any:
    """JSON text -> value; None stays None ('{}', the usual extra, skips the parser)."""
    if text is None:
        return None
    return {} if text == "{}" else json.loads(text)


def keypoints_to_blob(keypoints: np.ndarray | None) -> bytes | None:
    """(K, 3) float64 x, y, v -> bytes; None -> None. ProjectError for any other shape."""
    if keypoints is None:
        return None
    array = np.asarray(keypoints, dtype=KEYPOINT_DTYPE)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ProjectError(f"keypoints must be a (K, 3) array of x, y, v; got shape {array.shape}")
    return np.ascontiguousarray(array).tobytes()


def blob_to_keypoints(blob: bytes | None) -> np.ndarray | None:
    """Bytes -> a writable (K, 3) float64 array; None -> None."""
    if blob is None:
        return None
    return np.frombuffer(blob, dtype=KEYPOINT_DTYPE).reshape(-1, 3).astype(np.float64)


def check_box(box: Any) -> tuple[float, float, float, float]:
    """A finite xyxy box as four floats (x2 >= x1, y2 >= y1); ProjectError otherwise."""
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"a box is four numbers x1, y1, x2, y2 in pixels; got {box!r}") from exc
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ProjectError(f"box {box!r} has a value that is not a finite number")
    if x2 < x1 or y2 < y1:
        raise ProjectError(f"box {box!r} is not x1, y1, x2, y2 with x2 >= x1 and y2 >= y1")
    return x1, y1, x2, y2


def skeleton_from_json(value: Any) -> tuple[tuple[int, int], ...]:
    return tuple((int(a), int(b)) for a, b in value or ())


def optional_tuple(value: Any) -> tuple | None:
    """JSON list -> tuple of its items (lists inside become tuples); null -> None."""
    if value is None:
        return None
    return tuple(tuple(v) if isinstance(v, list) else v for v in value)
