"""Full-reference image quality: PSNR and SSIM on packed RAW (4, h, w) or any (C, H, W) images.

SSIM is Wang et al. 2004 as scikit-image computes it with ``gaussian_weights=True, sigma=1.5,
use_sample_covariance=False``: an 11-tap Gaussian window (sigma 1.5, radius ``int(3.5 * 1.5 + 0.5) = 5``),
K1 = 0.01, K2 = 0.03, population (co)variances, the SSIM map averaged over the pixels at least 5 away
from every border (skimage filters the whole image, then crops ``(11 - 1) // 2`` from each side before the
mean, so the crop is exactly the "valid" part of the filtering and no border rule is ever used), then
averaged over channels. It equals ``skimage.metrics.structural_similarity(..., data_range=1,
channel_axis=0)`` to ~1e-12 in float64.

PSNR of identical images is ``float('inf')`` (numpy) and ``inf`` in the tensor (torch): the mean squared
error is 0. Averaging over a validation set that contains an exact copy therefore gives inf; that is
the honest answer, no cap is applied.

numpy versions work in float64. torch versions take batches (B, C, H, W) and return (B,); they compute
in float64 when given float64 and in float32 otherwise (each plane is shifted by its own mean before the
moments are taken, which keeps float32 close to float64). torch is imported only when they are called.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

WIN_SIGMA = 1.5
WIN_RADIUS = int(3.5 * WIN_SIGMA + 0.5)  # 5: skimage's truncate=3.5 -> an 11-tap window
K1, K2 = 0.01, 0.03


def gaussian_window() -> np.ndarray:
    """(11,) float64: the normalised 1-D Gaussian taps (sigma 1.5) that SSIM filters with along each axis."""
    x = np.arange(-WIN_RADIUS, WIN_RADIUS + 1, dtype=np.float64)
    w = np.exp(-0.5 * (x / WIN_SIGMA) ** 2)
    return w / w.sum()


def _as_chw(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.ndim == 2:
        a, b = a[None], b[None]
    if a.ndim != 3:
        raise ValueError(f"expected (C, H, W) or (H, W) images, got shape {a.shape}")
    return a, b


def psnr(pred: np.ndarray, target: np.ndarray, data_range: float = 1.0) -> float:
    """PSNR in dB of ``pred`` against ``target`` (same shape, any dims); mean squared error over all
    elements. Identical images give ``float('inf')``."""
    a = np.asarray(pred, dtype=np.float64)
    b = np.asarray(target, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    mse = float(np.mean((a - b) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range**2 / mse)


def _valid_filter(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Separable 'valid' correlation of (..., H, W) with the 1-D taps ``w`` along H then W."""
    n = len(w)
    h, wd = x.shape[-2] - n + 1, x.shape[-1] - n + 1
    rows = x[..., 0:h, :] * w[0]
    for i in range(1, n):
        rows += w[i] * x[..., i:i + h, :]
    out = rows[..., :, 0:wd] * w[0]
    for i in range(1, n):
        out += w[i] * rows[..., :, i:i + wd]
    return out


def _valid_filter_torch(x: torch.Tensor, w: list[float]) -> torch.Tensor:
    """:func:`_valid_filter` for tensors; in-place shifted adds (several times faster than conv2d on CPU)."""
    n = len(w)
    h, wd = x.shape[-2] - n + 1, x.shape[-1] - n + 1
    rows = x[..., 0:h, :] * w[0]
    for i in range(1, n):
        rows.add_(x[..., i:i + h, :], alpha=w[i])
    out = rows[..., :, 0:wd] * w[0]
    for i in range(1, n):
        out.add_(rows[..., :, i:i + wd], alpha=w[i])
    return out


def ssim(pred: np.ndarray, target: np.ndarray, data_range: float = 1.0) -> float:
    """Mean SSIM of (C, H, W) (or (H, W)) images, averaged over channels; H and W must be >= 11."""
    a, b = _as_chw(pred, target)
    n = 2 * WIN_RADIUS + 1
    if min(a.shape[-2:]) < n:
        raise ValueError(f"SSIM needs images at least {n}x{n} pixels, got {a.shape[-2]}x{a.shape[-1]}")
    stack = np.stack([a, b, a * a, b * b, a * b])            # (5, C, H, W)
    ux, uy, uxx, uyy, uxy = _valid_filter(stack, gaussian_window())
    vx, vy, vxy = uxx - ux * ux, uyy - uy * uy, uxy - ux * uy
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    return float(s.mean(axis=(-2, -1)).mean())


def _check_batch(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"batches differ in shape: {tuple(pred.shape)} vs {tuple(target.shape)}")
    if pred.dim() != 4:
        raise ValueError(f"expected (B, C, H, W) batches, got shape {tuple(pred.shape)}")


def psnr_torch(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """(B, C, H, W) x2 -> (B,) PSNR in dB per image (inf where an image is reproduced exactly)."""
    import torch

    _check_batch(pred, target)
    dtype = torch.float64 if pred.dtype == torch.float64 else torch.float32
    mse = (pred.to(dtype) - target.to(dtype)).pow(2).flatten(1).mean(1)
    return 10.0 * torch.log10(data_range**2 / mse)


def ssim_torch(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """(B, C, H, W) x2 -> (B,) mean SSIM per image, the same definition as :func:`ssim`."""
    import torch

    _check_batch(pred, target)
    h, w = pred.shape[-2:]
    n = 2 * WIN_RADIUS + 1
    if min(h, w) < n:
        raise ValueError(f"SSIM needs images at least {n}x{n} pixels, got {h}x{w}")
    dtype = torch.float64 if pred.dtype == torch.float64 else torch.float32
    x, y = pred.to(dtype), target.to(dtype)
    mx, my = x.mean((2, 3), keepdim=True), y.mean((2, 3), keepdim=True)
    xs, ys = x - mx, y - my                                    # same (co)variances, less cancellation
    stack = torch.stack([xs, ys, xs * xs, ys * ys, xs * ys])   # (5, B, C, H, W)
    us_x, us_y, uxx, uyy, uxy = _valid_filter_torch(stack, gaussian_window().tolist())
    vx, vy, vxy = uxx - us_x * us_x, uyy - us_y * us_y, uxy - us_x * us_y
    ux, uy = us_x + mx, us_y + my
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return s.mean((-2, -1)).mean(1)
