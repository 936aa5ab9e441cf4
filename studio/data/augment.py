"""Training augmentation settings and the photometric / flip steps.

Labels everywhere in the augmentations are ``(n, 5 + 3K)`` float32 rows ``[cls, x1, y1, x2, y2, x_1, y_1,
v_1, ..., x_K, y_K, v_K]`` in pixels of the image they come with (K = 0 for detection; the keypoint
arithmetic lives in ``keypoints.py``). Every step draws its randomness from the ``np.random.Generator``
it is given (so an item is a pure function of its rng) and never writes into its input arrays.
The geometric steps live in ``affine.py`` (random_affine) and ``mosaic.py`` (mosaic4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import cv2
import numpy as np

from studio.data.keypoints import flip_keypoints_lr, flip_keypoints_ud, zero_outside
from studio.errors import ConfigError

_PROBABILITIES = ("mosaic", "fliplr", "flipud", "translate", "hsv_h", "hsv_s", "hsv_v")


@dataclass(frozen=True)
class AugmentConfig:
    """Training augmentation (the YOLOv8 defaults). Probabilities and gains lie in [0, 1]."""

    mosaic: float = 1.0        # probability of a 4-image mosaic
    degrees: float = 0.0       # rotation: uniform in +/- degrees
    translate: float = 0.1     # translation: uniform in +/- this fraction of the input size
    scale: float = 0.5         # zoom: a factor uniform in [1 - scale, 1 + scale]
    shear: float = 0.0         # shear: uniform in +/- degrees, on each axis
    fliplr: float = 0.5        # probability of a left-right flip
    flipud: float = 0.0        # probability of an up-down flip
    hsv_h: float = 0.015       # hue gain (fraction of the hue circle)
    hsv_s: float = 0.7         # saturation gain
    hsv_v: float = 0.4         # value (brightness) gain
    close_mosaic: int = 10     # the last N epochs train without mosaic

    def __post_init__(self) -> None:
        for name in _PROBABILITIES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"augment.{name} = {value}: use a value between 0 and 1")
        if not 0.0 <= self.scale < 1.0:
            raise ConfigError(f"augment.scale = {self.scale}: use a value in [0, 1) (0.5 zooms 0.5x..1.5x)")
        for name in ("degrees", "shear"):
            if not 0.0 <= getattr(self, name) <= 180.0:
                raise ConfigError(f"augment.{name} = {getattr(self, name)}: use degrees between 0 and 180")
        if self.close_mosaic < 0:
            raise ConfigError(f"augment.close_mosaic = {self.close_mosaic}: use 0 or more epochs")

    def to_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def hsv(img: np.ndarray, rng: np.random.Generator, *, hgain: float, sgain: float,
        vgain: float) -> np.ndarray:
    """Random hue / saturation / value jitter of an (H, W, 3) uint8 RGB image; returns a new image.

    Each channel is multiplied by a factor uniform in [1 - gain, 1 + gain] (hue wraps around).
    Returns ``img`` unchanged (and draws nothing) when every gain is 0.
    """
    if not (hgain or sgain or vgain):
        return img
    r = rng.uniform(-1.0, 1.0, 3) * np.array([hgain, sgain, vgain]) + 1.0
    hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_RGB2HSV))
    x = np.arange(256, dtype=np.float64)
    lut_hue = ((x * r[0]) % 180).astype(np.uint8)
    lut_sat = np.clip(x * r[1], 0, 255).astype(np.uint8)
    lut_val = np.clip(x * r[2], 0, 255).astype(np.uint8)
    jittered = cv2.merge((cv2.LUT(hue, lut_hue), cv2.LUT(sat, lut_sat), cv2.LUT(val, lut_val)))
    return cv2.cvtColor(jittered, cv2.COLOR_HSV2RGB)


def flips(img: np.ndarray, labels: np.ndarray, rng: np.random.Generator, *, lr: float, ud: float,
          flip_idx: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flip (H, W, 3) left-right with probability ``lr`` and up-down with ``ud``; boxes are mirrored.

    labels: (n, 5 + 3K) pixels. Keypoints are mirrored too; the left-right flip also reorders them,
    new[k] = old[flip_idx[k]] (None: the order is kept), so a left wrist stays a left wrist. A
    keypoint that lands outside [0, W) x [0, H) becomes (0, 0, 0). Returns new arrays (the image
    C-contiguous).
    """
    h, w = img.shape[:2]
    labels = labels.copy()
    if lr and rng.random() < lr:
        img = img[:, ::-1]
        labels[:, [1, 3]] = w - labels[:, [3, 1]]
        labels = flip_keypoints_lr(labels, w, flip_idx)
    if ud and rng.random() < ud:
        img = img[::-1]
        labels[:, [2, 4]] = h - labels[:, [4, 2]]
        labels = flip_keypoints_ud(labels, h)
    return np.ascontiguousarray(img), zero_outside(labels, w, h)
