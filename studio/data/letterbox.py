"""Letterboxing: scale an image to fit a square (aspect kept) and pad it, centred; and the way back."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from studio.data.decode import PAD_VALUE, resize_long_side


def letterbox(img: np.ndarray, size: int,
              color: int = PAD_VALUE) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Fit (H, W, 3) uint8 into a ``size`` x ``size`` square, centred, padded with ``color``.

    Returns (img (size, size, 3) uint8, ratio, (padw, padh)): a point (x, y) of the input lands at
    (x * ratio + padw, y * ratio + padh); ratio = size / max(H, W); padw / padh are the integer left / top
    padding. The input is never modified. Shrinking uses area interpolation, growing bilinear.
    """
    h, w = img.shape[:2]
    ratio = size / max(h, w)
    resized = resize_long_side(img, size, fast=False)
    nh, nw = resized.shape[:2]
    padw, padh = (size - nw) // 2, (size - nh) // 2
    out = cv2.copyMakeBorder(resized, padh, size - nh - padh, padw, size - nw - padw, cv2.BORDER_CONSTANT,
                             value=(color, color, color))
    return out, ratio, (padw, padh)


def scale_boxes_back(boxes: Any, ratio: float, pad: tuple[float, float], orig: tuple[int, int]) -> Any:
    """Map (n, 4) xyxy boxes from letterboxed input pixels back to original pixels, clipped to the image.

    boxes: a numpy array (a float32 copy is returned) or a torch tensor (a clone is returned);
    ratio, pad: what ``letterbox`` returned; orig: the original (h, w).
    """
    out = _copy(boxes)
    if not hasattr(out, "clone"):
        out = out.reshape(-1, 4)
    _unletterbox(out[..., 0::2], out[..., 1::2], ratio, pad, orig)
    return out


def scale_keypoints_back(kpts: Any, ratio: float, pad: tuple[float, float], orig: tuple[int, int]) -> Any:
    """Map (n, K, 2 or 3) keypoints from letterboxed input pixels back to original pixels, as
    ``scale_boxes_back`` maps boxes: x, y are moved, scaled and clipped to the (h, w) ``orig`` image; the
    third column (visibility or confidence) is left as it is.

    kpts: a numpy array (a float32 copy is returned) or a torch tensor (a clone is returned).
    """
    out = _copy(kpts)
    _unletterbox(out[..., 0], out[..., 1], ratio, pad, orig)
    return out


def _copy(values: Any) -> Any:
    if hasattr(values, "clone"):  # torch.Tensor, without importing torch here
        return values.clone()
    return np.array(values, dtype=np.float32, copy=True)


def _unletterbox(xs: Any, ys: Any, ratio: float, pad: tuple[float, float], orig: tuple[int, int]) -> None:
    """In place on views of x and y coordinates (numpy or torch): undo the pad and the ratio, clip."""
    h, w = orig
    xs -= pad[0]
    ys -= pad[1]
    xs /= ratio
    ys /= ratio
    if hasattr(xs, "clamp_"):
        xs.clamp_(0, w)
        ys.clamp_(0, h)
    else:
        np.clip(xs, 0, w, out=xs)
        np.clip(ys, 0, h, out=ys)
