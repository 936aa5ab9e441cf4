"""Bayer mosaics for training denoisers: packing an RGGB mosaic to 4 channels and back, Bayer-preserving
flips and transposes (PMRID: Liu et al. 2019, "Learning Raw Image Denoising with Bayer Pattern
Unification and Bayer Preserving Augmentation"), and aligned random crops of noisy/clean pairs.

An RGGB mosaic is ``(..., H, W)`` (H, W even) whose 2x2 phase is R G / G B; packed is
``(..., 4, H/2, W/2)`` in R, Gr, Gb, B order (Gr: the green on the red row), as studio.io.raw packs any
camera's pattern. Everything works on numpy arrays and on torch tensors alike (torch is never imported).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _permute(x, axes: Sequence[int]):
    return x.transpose(tuple(axes)) if isinstance(x, np.ndarray) else x.permute(*axes)


def _check_even(shape: Sequence[int], what: str) -> None:
    if len(shape) < 2 or shape[-1] % 2 or shape[-2] % 2:
        raise ValueError(f"{what} must be (..., H, W) with H and W even, got shape {tuple(shape)}")


def to_rggb_mosaic(packed):
    """(..., 4, h, w) packed R, Gr, Gb, B -> (..., 2h, 2w) RGGB mosaic (numpy or torch, same dtype)."""
    shape = tuple(packed.shape)
    if len(shape) < 3 or shape[-3] != 4:
        raise ValueError(f"packed must be (..., 4, h, w), got shape {shape}")
    lead, (h, w) = shape[:-3], shape[-2:]
    n = len(lead)
    x = packed.reshape(*lead, 2, 2, h, w)  # (..., dy, dx, h, w)
    x = _permute(x, (*range(n), n + 2, n, n + 3, n + 1))  # (..., h, dy, w, dx)
    return x.reshape(*lead, 2 * h, 2 * w)


def from_rggb_mosaic(mosaic):
    """(..., H, W) RGGB mosaic -> (..., 4, H/2, W/2) packed R, Gr, Gb, B (numpy or torch)."""
    shape = tuple(mosaic.shape)
    _check_even(shape, "an RGGB mosaic")
    lead, (hh, ww) = shape[:-2], shape[-2:]
    n = len(lead)
    x = mosaic.reshape(*lead, hh // 2, 2, ww // 2, 2)  # (..., h, dy, w, dx)
    x = _permute(x, (*range(n), n + 1, n + 3, n, n + 2))  # (..., dy, dx, h, w)
    return x.reshape(*lead, 4, hh // 2, ww // 2)


def _flip(x, axis: int):
    return np.flip(x, axis) if isinstance(x, np.ndarray) else x.flip(axis)


def _swap_last(x):
    return np.swapaxes(x, -1, -2) if isinstance(x, np.ndarray) else x.transpose(-1, -2)


def bayer_augment(mosaic_rggb, rng: np.random.Generator, flip_h: float = 0.5, flip_v: float = 0.5,
                  transpose: float = 0.5):
    """Randomly flip and transpose an (..., H, W) RGGB mosaic so that the result is RGGB again.

    flip_h, flip_v, transpose: the probability of each (True/False work as 1/0); one ``rng.random()``
    draw each, in that order. A flip moves the phase by one pixel (R G -> G R), so the flipped mosaic
    loses its first and last column (flip_h) or row (flip_v): it is 2 px smaller in that dimension and
    even again. A transpose keeps R and B on the diagonal (the two greens swap rows), so the shape is
    (W, H) and nothing is cut. Returns a contiguous copy (numpy) or a new tensor (torch).
    """
    _check_even(tuple(mosaic_rggb.shape), "an RGGB mosaic")
    x = mosaic_rggb
    if rng.random() < flip_h:
        if x.shape[-1] < 4:
            raise ValueError(f"a horizontal flip needs a width of at least 4, got {x.shape[-1]}")
        x = _flip(x, -1)[..., :, 1:-1]
    if rng.random() < flip_v:
        if x.shape[-2] < 4:
            raise ValueError(f"a vertical flip needs a height of at least 4, got {x.shape[-2]}")
        x = _flip(x, -2)[..., 1:-1, :]
    if rng.random() < transpose:
        x = _swap_last(x)
    return np.ascontiguousarray(x) if isinstance(x, np.ndarray) else x.contiguous()


def random_crop(arrays: Sequence, size: int | tuple[int, int], rng: np.random.Generator, *,
                step: int = 1) -> list:
    """The same (size_h, size_w) window of every (..., H, W) array in ``arrays`` (e.g. the noisy and clean
    packed (4, h, w) of one pair), at a random offset that is a multiple of ``step`` (step=2 for RGGB
    mosaics, to keep their phase). All arrays must share H and W; returns views, in order."""
    if not arrays:
        raise ValueError("random_crop needs at least one array")
    sh, sw = (size, size) if isinstance(size, int) else size
    h, w = arrays[0].shape[-2:]
    if any(tuple(a.shape[-2:]) != (h, w) for a in arrays):
        raise ValueError(f"the arrays differ in size: {[tuple(a.shape[-2:]) for a in arrays]}")
    if sh > h or sw > w or sh < 1 or sw < 1:
        raise ValueError(f"cannot crop {sh}x{sw} from {h}x{w}")
    top = int(rng.integers(0, (h - sh) // step + 1)) * step
    left = int(rng.integers(0, (w - sw) // step + 1)) * step
    return [a[..., top:top + sh, left:left + sw] for a in arrays]
