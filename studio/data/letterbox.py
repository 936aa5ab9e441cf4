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
    if hasattr(boxes, "clone"):  # torch.Tensor, without importing torch here
        out = boxes.clone()
    else:
        out = np.array(boxes, dtype=np.float32, copy=True).reshape(-1, 4)
    h, w = orig
    xs, ys = out[..., 0::2], out[..., 1::2]
    xs -= pad[0]
    ys -= pad[1]
    xs /= ratio
    ys /= ratio
    if hasattr(out, "clamp_"):
        xs.clamp_(0, w)
        ys.clamp_(0, h)
    else:
        np.clip(xs, 0, w, out=xs)
        np.clip(ys, 0, h, out=ys)
    return out
