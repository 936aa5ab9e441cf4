"""Keypoint arithmetic of the augmentation steps, on the keypoint columns of label rows.

Label rows are ``(n, 5 + 3K)`` float32 ``[cls, x1, y1, x2, y2, x_1, y_1, v_1, ..., x_K, y_K, v_K]`` in
pixels of the image they come with (K = 0: detection rows, which every function here leaves alone).
A keypoint is labeled when v > 0; an unlabeled one is always (0, 0, 0). Every function returns new rows
(the input is never written) whose unlabeled keypoints are (0, 0, 0), so a step maps all keypoints and
calls ``zero_outside`` with its output size last: a keypoint that left the image [0, W) x [0, H) becomes
(0, 0, 0) too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def num_keypoints(labels: np.ndarray) -> int:
    """K of ``(n, 5 + 3K)`` label rows."""
    return (labels.shape[1] - 5) // 3


def _xyv(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a float32 copy of the rows, a (n, K, 3) view of the copy's keypoint columns)."""
    out = np.array(labels, dtype=np.float32, copy=True)
    return out, out[:, 5:].reshape(len(out), num_keypoints(out), 3)


def _zero_unlabeled(kpts: np.ndarray) -> None:
    """(n, K, 3) in place: keypoints with v <= 0 become (0, 0, 0)."""
    kpts[kpts[..., 2] <= 0] = 0.0


def shift_keypoints(labels: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Rows with labeled keypoints moved by (dx, dy) pixels (boxes untouched)."""
    out, kpts = _xyv(labels)
    kpts[..., 0] += dx
    kpts[..., 1] += dy
    _zero_unlabeled(kpts)
    return out


def scale_keypoints(labels: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """Rows with labeled keypoints' x multiplied by ``sx`` and y by ``sy`` (boxes untouched)."""
    out, kpts = _xyv(labels)
    kpts[..., 0] *= sx
    kpts[..., 1] *= sy
    _zero_unlabeled(kpts)
    return out


def transform_keypoints(labels: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Rows with labeled keypoints mapped by the (3, 3) affine ``m`` (input -> output pixels)."""
    out, kpts = _xyv(labels)
    x, y = kpts[..., 0].astype(np.float64), kpts[..., 1].astype(np.float64)
    kpts[..., 0] = m[0, 0] * x + m[0, 1] * y + m[0, 2]
    kpts[..., 1] = m[1, 0] * x + m[1, 1] * y + m[1, 2]
    _zero_unlabeled(kpts)
    return out


def flip_keypoints_lr(labels: np.ndarray, width: int, flip_idx: Sequence[int] | None) -> np.ndarray:
    """Rows with keypoints mirrored left-right in an image ``width`` px wide (x -> width - x) and
    reordered so that new[k] = old[flip_idx[k]] (None: the order is kept). Boxes untouched."""
    out, kpts = _xyv(labels)
    kpts[..., 0] = width - kpts[..., 0]
    if flip_idx is not None:
        kpts[:] = kpts[:, list(flip_idx)]
    _zero_unlabeled(kpts)
    return out


def flip_keypoints_ud(labels: np.ndarray, height: int) -> np.ndarray:
    """Rows with keypoints mirrored up-down in an image ``height`` px tall (y -> height - y); the order
    is kept. Boxes untouched."""
    out, kpts = _xyv(labels)
    kpts[..., 1] = height - kpts[..., 1]
    _zero_unlabeled(kpts)
    return out


def zero_outside(labels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Rows whose keypoints outside [0, width) x [0, height) (and unlabeled ones) are (0, 0, 0)."""
    out, kpts = _xyv(labels)
    x, y = kpts[..., 0], kpts[..., 1]
    kpts[(x < 0) | (x >= width) | (y < 0) | (y >= height)] = 0.0
    _zero_unlabeled(kpts)
    return out
