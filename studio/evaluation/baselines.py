"""Classical denoisers to compare learned RAW denoisers with: BM3D, non-local means and the bilateral
filter, each run per packed channel after a generalised Anscombe transform (GAT) with the true noise
level, then transformed back.

GAT for Poisson-Gaussian noise with gain k and read std sigma in the normalised domain (x = k * z with
z ~ Poisson(clean / k) + N(0, (sigma / k)^2), the Anscombe-Starck-Murtagh form in z):
``f(x) = (2 / k) * sqrt(max(k x + 3/8 k^2 + sigma^2, 0))``, after which the noise is close to unit variance
wherever the signal is a few photo-electrons or more.

The inverse is the closed-form approximation of the exact unbiased inverse of Makitalo & Foi,
"A closed-form approximation of the exact unbiased inverse of the Anscombe variance-stabilizing
transformation", IEEE TIP 20(9), 2011, extended to Poisson-Gaussian noise in "Optimal inversion of the
generalized Anscombe transformation for Poisson-Gaussian noise", IEEE TIP 22(1), 2013:
``I(D) = D^2/4 + sqrt(3/2)/4 D^-1 - 11/8 D^-2 + 5/8 sqrt(3/2) D^-3 - 1/8 - s^2`` (s = sigma / k), clipped at
0, and 0 for D below 2 sqrt(3/8) = f(0) of pure Poisson noise, where I is 0 and below which the series is
not meaningful. Unlike the algebraic inverse it is unbiased when applied to a good denoiser's output
(an estimate of E[f(x)]), down to low counts.

The heavy libraries (bm3d, scikit-image, OpenCV) are imported only when a baseline runs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from studio.data.noise import NoiseParams

_SQRT_3_2 = float(np.sqrt(1.5))
_D_MIN = 2.0 * float(np.sqrt(3.0 / 8.0))


def anscombe(x: np.ndarray, params: NoiseParams) -> np.ndarray:
    """Generalised Anscombe transform (any shape, float64 out): noise of variance k*x + sigma^2 becomes
    ~unit variance."""
    k, s = params.k, params.sigma
    x = np.asarray(x, dtype=np.float64)
    return (2.0 / k) * np.sqrt(np.maximum(k * x + 0.375 * k * k + s * s, 0.0))


def inverse_anscombe(d: np.ndarray, params: NoiseParams) -> np.ndarray:
    """Closed-form approximation of the exact unbiased inverse (Makitalo & Foi 2011/2013), float64 out,
    in the original normalised domain (>= 0)."""
    d = np.asarray(d, dtype=np.float64)
    s = params.sigma / params.k
    safe = np.maximum(d, _D_MIN)
    z = (0.25 * safe**2 + 0.25 * _SQRT_3_2 / safe - 1.375 / safe**2
         + 0.625 * _SQRT_3_2 / safe**3 - 0.125 - s * s)
    return np.where(d < _D_MIN, 0.0, np.maximum(z, 0.0)) * params.k


def _check(noisy: np.ndarray) -> np.ndarray:
    noisy = np.asarray(noisy)
    if noisy.ndim != 3:
        raise ValueError(f"expected a packed (C, h, w) image, got shape {noisy.shape}")
    return noisy


def _per_channel(noisy: np.ndarray, params: NoiseParams,
                 denoise: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """GAT -> ``denoise`` (one (h, w) float64 plane of unit-variance noise) per channel -> inverse GAT."""
    gat = anscombe(_check(noisy), params)
    out = np.stack([denoise(plane) for plane in gat])
    return inverse_anscombe(out, params).astype(np.float32)


def _unit_range(plane: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Map a plane to [0, 1]; returns it, its offset and its scale (noise std 1 -> 1 / scale)."""
    lo, scale = float(plane.min()), max(float(np.ptp(plane)), 1e-6)
    return (plane - lo) / scale, lo, scale


def bm3d_baseline(noisy: np.ndarray, params: NoiseParams) -> np.ndarray:
    """BM3D (the ``bm3d`` package, profile "np") per packed channel: (C, h, w) -> (C, h, w) float32."""
    import bm3d

    def run(plane: np.ndarray) -> np.ndarray:
        z, lo, scale = _unit_range(plane)
        return np.asarray(bm3d.bm3d(z, sigma_psd=1.0 / scale), dtype=np.float64) * scale + lo

    return _per_channel(noisy, params, run)


def nlm_baseline(noisy: np.ndarray, params: NoiseParams) -> np.ndarray:
    """Non-local means (scikit-image, fast mode, 5x5 patches, search distance 6, h = 0.8 sigma as its
    docs suggest with sigma given) per packed channel: (C, h, w) -> (C, h, w) float32."""
    from skimage.restoration import denoise_nl_means

    def run(plane: np.ndarray) -> np.ndarray:
        z, lo, scale = _unit_range(plane)
        sigma = 1.0 / scale
        out = denoise_nl_means(z, patch_size=5, patch_distance=6, h=0.8 * sigma, sigma=sigma,
                               fast_mode=True, preserve_range=True)
        return out * scale + lo

    return _per_channel(noisy, params, run)


def bilateral_baseline(noisy: np.ndarray, params: NoiseParams) -> np.ndarray:
    """OpenCV bilateral filter (5x5, sigmaColor = 2 noise std, sigmaSpace = 2 px) on float32, per packed
    channel, in GAT units where the noise std is 1: (C, h, w) -> (C, h, w) float32."""
    import cv2

    def run(plane: np.ndarray) -> np.ndarray:
        out = cv2.bilateralFilter(plane.astype(np.float32), d=5, sigmaColor=2.0, sigmaSpace=2.0,
                                  borderType=cv2.BORDER_REFLECT)
        return out.astype(np.float64)

    return _per_channel(noisy, params, run)


BASELINES: dict[str, Callable[[np.ndarray, NoiseParams], np.ndarray]] = {
    "bm3d": bm3d_baseline,
    "nlm": nlm_baseline,
    "bilateral": bilateral_baseline,
}
