"""Poisson-Gaussian sensor noise in the packed [0, 1] domain: synthesis, the k-sigma transform, an ISO
noise model with presets, and calibration (from noisy/clean pairs, from flats and darks, across ISOs).

Convention (packed tensors hold (x - black) / (white - black), not clipped):
``noisy = k * Poisson(clean / k) + N(0, sigma^2)``, so ``var(noisy | clean) = k * clean + sigma^2``; ``k``
(the gain: normalised units per photo-electron) and ``sigma`` (read noise std) are fractions of
``white - black``. A value in sensor DN converts as ``k = K_dn / (white - black)``, ``sigma = s_dn /
(white - black)``.

Noise model across ISO (ELD, Wei et al. CVPR 2020; PMRID, Wang et al. ECCV 2020): ``log k = a log iso + b``
and ``log sigma^2 = c log k + d`` with a normal residual of std ``spread`` around the second line.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from studio.errors import ConfigError

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class NoiseParams:
    """One Poisson-Gaussian noise level in normalised units."""

    k: float       # gain: variance added per unit of clean signal (> 0)
    sigma: float   # read-noise standard deviation (>= 0)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.k) and self.k > 0):
            raise ConfigError(f"noise gain k must be a positive number, got {self.k}")
        if not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise ConfigError(f"noise sigma must be a non-negative number, got {self.sigma}")

    def variance(self, clean: np.ndarray | float) -> np.ndarray | float:
        """var(noisy | clean) = k * max(clean, 0) + sigma^2."""
        return self.k * np.maximum(clean, 0.0) + self.sigma**2


def add_noise(clean: np.ndarray, params: NoiseParams, rng: np.random.Generator) -> np.ndarray:
    """Poisson-Gaussian noise on any array (clean below 0 contributes no shot noise). Returns the clean
    dtype when floating, else float32; noise below black stays negative (nothing is clipped)."""
    clean = np.asarray(clean)
    dtype = clean.dtype if np.issubdtype(clean.dtype, np.floating) else np.float32
    shot = rng.poisson(np.maximum(clean, 0.0) / params.k) * params.k
    read = rng.normal(0.0, params.sigma, size=clean.shape)
    return (shot + read).astype(dtype, copy=False)


def add_noise_torch(clean: torch.Tensor, k: torch.Tensor | float, sigma: torch.Tensor | float,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """clean (B, C, h, w), k and sigma floats or (B,) tensors (one level per batch item) -> noisy, same
    shape and dtype. ``generator`` must live on ``clean``'s device."""
    import torch

    k_, s_ = _per_item(k, clean), _per_item(sigma, clean)
    rate = clean.clamp(min=0) / k_
    shot = torch.poisson(rate, generator=generator) * k_
    read = torch.randn(clean.shape, generator=generator, device=clean.device, dtype=clean.dtype) * s_
    return shot + read


def _per_item(v: Any, x: Any) -> Any:
    """A float stays; a (B,) array/tensor becomes (B, 1, ..., 1) to broadcast over x's trailing dims."""
    if isinstance(v, (int, float)) or getattr(v, "ndim", 0) == 0:
        return v
    return v.reshape((-1,) + (1,) * (x.ndim - 1))


def ksigma(x: Any, k: Any, sigma: Any) -> Any:
    """PMRID's k-sigma transform t(x) = x / k + sigma^2 / k^2 (numpy or torch; k, sigma floats or (B,)
    per batch item): noise of variance k*x + sigma^2 becomes variance t(x) (Poisson-like, unit gain)."""
    k, sigma = _per_item(k, x), _per_item(sigma, x)
    return x / k + sigma**2 / k**2


def inverse_ksigma(y: Any, k: Any, sigma: Any) -> Any:
    """Inverse of :func:`ksigma`: (y - sigma^2 / k^2) * k."""
    k, sigma = _per_item(k, y), _per_item(sigma, y)
    return (y - sigma**2 / k**2) * k


@dataclass(frozen=True)
class NoiseModel:
    """log k = a * log(iso) + b;  log(sigma^2) = c * log(k) + d (+ N(0, spread^2) when sampling)."""

    a: float
    b: float
    c: float
    d: float
    spread: float = 0.0      # residual std of log(sigma^2) around its line, used by sample()
    iso_min: float = 100.0   # ISO range sample() draws from (log-uniformly)
    iso_max: float = 6400.0

    def __post_init__(self) -> None:
        if not 0 < self.iso_min <= self.iso_max:
            raise ConfigError(f"noise model ISO range must satisfy 0 < iso_min <= iso_max, "
                              f"got {self.iso_min}..{self.iso_max}")
        if self.spread < 0:
            raise ConfigError(f"noise model spread must be >= 0, got {self.spread}")

    @property
    def iso_range(self) -> tuple[float, float]:
        return self.iso_min, self.iso_max

    def describe(self) -> str:
        """One line: the k and sigma at both ends of the ISO range, and the lines' coefficients."""
        lo, hi = self.params(self.iso_min), self.params(self.iso_max)
        return (f"ISO {self.iso_min:g}..{self.iso_max:g}: k {lo.k:.3g}..{hi.k:.3g}, sigma {lo.sigma:.3g}.."
                f"{hi.sigma:.3g} (log k = {self.a:.4g} log iso {self.b:+.4g}; log sigma^2 = {self.c:.4g} "
                f"log k {self.d:+.4g}, spread {self.spread:.3g})")

    def params(self, iso: float) -> NoiseParams:
        """The noise level on the model's lines at ``iso`` (extrapolates outside the range)."""
        log_k = self.a * math.log(iso) + self.b
        return NoiseParams(k=math.exp(log_k), sigma=math.exp(0.5 * (self.c * log_k + self.d)))

    def sample(self, rng: np.random.Generator) -> NoiseParams:
        """A random level: ISO log-uniform over the range, log(sigma^2) jittered by ``spread``."""
        k, sigma = self.sample_many(rng, 1)
        return NoiseParams(k=float(k[0]), sigma=float(sigma[0]))

    def sample_many(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n random levels as two (n,) float64 arrays k, sigma (for :func:`add_noise_torch`)."""
        log_iso = rng.uniform(math.log(self.iso_min), math.log(self.iso_max), size=n)
        log_k = self.a * log_iso + self.b
        log_var = self.c * log_k + self.d + rng.normal(0.0, 1.0, size=n) * self.spread
        return np.exp(log_k), np.exp(0.5 * log_var)

    def to_dict(self) -> dict[str, float]:
        return {name: float(v) for name, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Any, where: str = "noise model") -> NoiseModel:
        """Validate a mapping (as read from YAML); ConfigError names ``where`` and the offending key."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a mapping of {', '.join(_MODEL_KEYS)}, "
                              f"got {type(data).__name__}")
        unknown = sorted(str(key) for key in data if key not in _MODEL_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key '{unknown[0]}' (known: {', '.join(_MODEL_KEYS)})")
        values: dict[str, float] = {}
        for key in _MODEL_KEYS:
            if key not in data:
                if key in _MODEL_DEFAULTS:
                    continue
                raise ConfigError(f"{where}: missing key '{key}'")
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{where}: key '{key}' must be a finite number, got {value!r}")
            values[key] = float(value)
        try:
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from exc

    def save(self, path: Path | str) -> Path:
        """Write a small YAML file (atomically); returns the path."""
        from studio.utils.atomic import atomic_write_text

        header = ("# Tern noise model, packed [0,1] domain: log k = a*log(iso) + b; "
                  "log(sigma^2) = c*log(k) + d\n")
        atomic_write_text(path, header + yaml.safe_dump(self.to_dict(), sort_keys=False))
        return Path(path)

    @classmethod
    def load(cls, path: Path | str) -> NoiseModel:
        """Read a file written by :meth:`save` (yaml.safe_load); ConfigError names the file and the key."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read the noise model ({exc})") from exc
        return cls.from_dict(data, where=str(path))


NOMINAL_ISO = 100.0   # where fit_model puts calibrations whose ISO is unknown
_MODEL_KEYS = ("a", "b", "c", "d", "spread", "iso_min", "iso_max")
_MODEL_DEFAULTS = ("spread", "iso_min", "iso_max")


def _fit_line(x: np.ndarray, y: np.ndarray, slope_if_flat: float) -> tuple[float, float, float]:
    """Least-squares y = slope * x + intercept; returns slope, intercept, residual std (0 without spare
    points). When x does not vary the slope cannot be measured: ``slope_if_flat`` is assumed."""
    if np.ptp(x) < 1e-9:
        slope, dof = slope_if_flat, len(x) - 1
        intercept = float(np.mean(y - slope * x))
    else:
        design = np.stack([x, np.ones_like(x)], axis=1)
        (slope, intercept), *_ = np.linalg.lstsq(design, y, rcond=None)
        dof = len(x) - 2
    resid = y - (slope * x + intercept)
    spread = math.sqrt(float(resid @ resid) / dof) if dof > 0 else 0.0
    return float(slope), float(intercept), spread


def _fit_variance_line(means: np.ndarray, variances: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """Weighted least squares var = k * mean + s2 over bins. A sample variance from n values has std
    ~ var * sqrt(2 / (n - 1)), so the weights are (n - 1) / var_model^2, re-estimated twice from the fit
    (the first pass uses the measured variances)."""
    design = np.stack([means, np.ones_like(means)], axis=1)
    floor = max(1e-9 * float(variances.max()), 1e-30)     # no bin may take all the weight
    model = variances
    for _ in range(3):
        w = np.sqrt((counts - 1) / np.maximum(model, floor) ** 2)
        (k, s2), *_ = np.linalg.lstsq(design * w[:, None], variances * w, rcond=None)
        model = k * means + s2
    return float(k), float(s2)


def _to_params(k: float, s2: float, what: str) -> NoiseParams:
    if not k > 0:
        raise ValueError(f"{what}: the fitted gain k = {k:.3g} is not positive; the variance does not grow "
                         "with the signal (is the clean image really clean, and is there a range of levels?)")
    return NoiseParams(k=k, sigma=math.sqrt(max(s2, 0.0)))


def fit_pair(noisy: np.ndarray, clean: np.ndarray, bins: int = 32, max_level: float = 0.9,
             min_count: int = 64) -> NoiseParams:
    """Estimate k and sigma from an aligned noisy / clean pair (any equal shapes, normalised units).

    The residual noisy - clean is grouped into ``bins`` equal-width bins of the clean level over
    [max(0, min), min(max_level, max)] (levels above ``max_level`` are left out: clipping at white
    shrinks their variance); each bin with at least ``min_count`` pixels gives (mean clean, variance of
    the residual), and var = k * clean + sigma^2 is fitted to them by weighted least squares. ValueError
    when fewer than two bins are usable or the fitted k is not positive.
    """
    noisy = np.asarray(noisy, dtype=np.float64).ravel()
    clean = np.asarray(clean, dtype=np.float64).ravel()
    if noisy.shape != clean.shape:
        raise ValueError(f"fit_pair: noisy and clean differ in size ({noisy.size} vs {clean.size})")
    lo, hi = max(0.0, float(clean.min())), min(max_level, float(clean.max()))
    keep = (clean >= lo) & (clean <= hi)
    clean, resid = clean[keep], noisy[keep] - clean[keep]
    idx = np.minimum(((clean - lo) / max(hi - lo, 1e-12) * bins).astype(np.int64), bins - 1)
    counts = np.bincount(idx, minlength=bins).astype(np.float64)
    sums = np.bincount(idx, weights=clean, minlength=bins)
    r1 = np.bincount(idx, weights=resid, minlength=bins)
    r2 = np.bincount(idx, weights=resid * resid, minlength=bins)
    ok = counts >= max(min_count, 2)
    if ok.sum() < 2:
        raise ValueError(f"fit_pair: fewer than two intensity bins hold {min_count}+ pixels below "
                         f"{max_level}; use a larger image or one with more distinct levels")
    n = counts[ok]
    var = (r2[ok] - r1[ok] ** 2 / n) / (n - 1)
    k, s2 = _fit_variance_line(sums[ok] / n, var, n)
    return _to_params(k, s2, "fit_pair")


def _level_stats(frames: np.ndarray | Sequence[np.ndarray]) -> tuple[float, float, float]:
    """(mean, temporal variance, pixel count) of one exposure level: for two or more frames the variance
    of the difference of consecutive frames / 2, averaged (fixed-pattern noise cancels); for one frame
    its spatial variance."""
    stack = [np.asarray(f, dtype=np.float64) for f in frames] if not isinstance(frames, np.ndarray) \
        else [np.asarray(frames, dtype=np.float64)]
    if len(stack) == 1:
        return float(stack[0].mean()), float(stack[0].var(ddof=1)), float(stack[0].size)
    diffs = [np.var(b - a, ddof=1) / 2 for a, b in itertools.pairwise(stack)]
    return float(np.mean([f.mean() for f in stack])), float(np.mean(diffs)), float(stack[0].size)


def fit_flat_dark(flats: Sequence[np.ndarray | Sequence[np.ndarray]],
                  darks: Sequence[np.ndarray] = ()) -> NoiseParams:
    """Photon transfer: k and sigma from flat fields and dark frames (black-subtracted, normalised).

    ``flats``: one entry per exposure level, each an array (one frame: its spatial variance, so the field
    must be uniform) or a list of 2+ frames of the same level (the variance of frame differences / 2:
    preferred, it cancels fixed patterns and vignetting). ``darks``: dark frames; sigma^2 is the variance
    of one, or half the variance of the difference of consecutive ones. k is the slope of the variance
    against the mean, fitted through the dark variance (weights 1 / var^2); without darks both k and
    sigma^2 come from the flats (two or more levels needed).
    """
    if not flats:
        raise ValueError("fit_flat_dark needs at least one flat-field level")
    stats = np.array([_level_stats(f) for f in flats])
    means, variances = stats[:, 0], stats[:, 1]
    if len(darks):
        s2 = _level_stats(list(darks))[1]
        w = 1.0 / np.maximum(variances, 1e-30) ** 2
        k = float(np.sum(w * means * (variances - s2)) / np.sum(w * means * means))
        return _to_params(k, s2, "fit_flat_dark")
    if len(flats) < 2:
        raise ValueError("fit_flat_dark without dark frames needs flats at two or more levels")
    k, s2 = _fit_variance_line(means, variances, stats[:, 2])
    return _to_params(k, s2, "fit_flat_dark")


def fit_model(points: Sequence[tuple[float | None, NoiseParams]],
              iso_range: tuple[float, float] | None = None) -> NoiseModel:
    """(iso, NoiseParams) calibrations -> NoiseModel by linear regression in log space; ``spread`` is the
    residual std of log(sigma^2); the ISO range defaults to the points' range.

    With a single distinct ISO the slopes cannot be measured: a = 1 (gain proportional to ISO) and
    c = 2 (read noise constant in electrons) are assumed, so the model reproduces the (geometric mean)
    level at that ISO and only extrapolation relies on the assumption. When no point knows its ISO
    (None), they are all placed at NOMINAL_ISO; a mix of known and unknown ISOs is a ValueError.
    """
    if not points:
        raise ValueError("fit_model needs at least one (iso, NoiseParams) calibration")
    known = [iso is not None and iso > 0 for iso, _ in points]
    if any(known) and not all(known):
        raise ValueError("fit_model: some calibrations have no ISO; calibrate each ISO separately or "
                         "give every point its ISO")
    isos = np.array([float(iso) if ok else NOMINAL_ISO for (iso, _), ok in zip(points, known, strict=True)])
    log_k = np.log([p.k for _, p in points])
    sigmas = np.array([p.sigma for _, p in points])
    if np.any(sigmas <= 0):
        raise ValueError("fit_model needs sigma > 0 at every ISO (log(sigma^2) is regressed)")
    a, b, _ = _fit_line(np.log(isos), log_k, slope_if_flat=1.0)
    c, d, spread = _fit_line(log_k, np.log(sigmas**2), slope_if_flat=2.0)
    lo, hi = iso_range if iso_range is not None else (float(isos.min()), float(isos.max()))
    return NoiseModel(a=a, b=b, c=c, d=d, spread=spread, iso_min=lo, iso_max=hi)


# --- presets ------------------------------------------------------------------------------------------
# Each is derived below from published calibration figures, converted from sensor DN to the normalised
# domain by the white - black range the source states; the log-log lines are least-squares fits to
# those figures, so they reproduce them only approximately (tests/studio/data/test_noise.py checks how
# closely). They are typical sensors for synthesising training noise, not calibrations of yours:
# calibrate your camera with fit_pair / fit_flat_dark / fit_model.


def _pmrid_phone() -> NoiseModel:
    """PMRID (Wang et al., "Practical Deep Raw Image Denoising on Mobile Devices", ECCV 2020), the
    polynomials in its benchmark code (run_benchmark.py, KSigma): K(iso) = 0.0005995267 iso + 0.00868861
    and var(iso) = 7.11772e-7 iso^2 + 6.514934e-4 iso + 0.11492713, in 10-bit DN over V = 959
    (white 1023 - black 64), for the paper's phone sensor (its benchmark phone is an OPPO Reno 10x; others
    report the sensor as a Sony IMX586, which we have not verified). Sampled at 13 log-spaced ISOs in
    100..6400 and fitted in log space: k stays within ~5% of the polynomial, sigma within ~25% (the
    polynomial's constant read-noise floor is not a power law of k)."""
    isos = np.geomspace(100, 6400, 13)
    v = 959.0
    k_dn = 0.0005995267 * isos + 0.00868861
    var_dn = 7.11772e-7 * isos**2 + 6.514934e-4 * isos + 0.11492713
    return fit_model([(iso, NoiseParams(k / v, math.sqrt(s2) / v))
                      for iso, k, s2 in zip(isos, k_dn, var_dn, strict=True)])


def _crvd_imx385() -> NoiseModel:
    """CRVD (Yue et al., "Supervised Raw Video Denoising with a Benchmark Dataset on Dynamic Scenes",
    CVPR 2020; Sony IMX385, 12-bit, black 240, white 4095): the per-ISO shot gain a and read variance b
    in DN published with the dataset (and used by RViDeNet's training code), ISO 1600..25600, divided by
    4095 - 240 = 3855. The fitted lines reproduce k within 1% and sigma within 4%."""
    isos = (1600, 3200, 6400, 12800, 25600)
    a_dn = (3.513262, 6.955588, 13.486051, 26.585953, 52.032536)
    b_dn = (11.917691, 38.117816, 130.818508, 484.539790, 1819.818657)
    r = 4095.0 - 240.0
    return fit_model([(iso, NoiseParams(a / r, math.sqrt(b) / r))
                      for iso, a, b in zip(isos, a_dn, b_dn, strict=True)])


def _eld_canon5d4() -> NoiseModel:
    """ELD (Wei et al., "A Physics-based Noise Formation Model for Extreme Low-light Raw Denoising", CVPR
    2020), the Canon EOS 5D Mark IV calibration of its released noise-sampling code (14-bit, black 2048,
    white 16383): system gain K log-uniform in [0.2182, 3.0] DN/e- (3.0 in the copy we could check; the
    original may carry more digits) and Gaussian read noise log(s) = 0.67713 log(K) + 1.51219 with
    residual std 0.24641 (s in DN). Converted exactly with R = 16383 - 2048 = 14335: k = K / R,
    c = 2 * 0.67713, d = 2 * 1.51219 + (c - 2) log(R), spread = 2 * 0.24641. ELD states K, not ISO:
    we assume K proportional to ISO (a = 1) and the lowest calibrated K at the base ISO 100 (which fits a
    full well of ~66k e- at ISO 100), so the K range maps to ISO 100..~1375. The ISO axis is approximate."""
    r = 16383.0 - 2048.0
    k_min, k_max = 0.2181895124454343, 3.0
    iso_base = 100.0
    c = 2 * 0.6771267783987617
    d = 2 * 1.5121876510805845 + (c - 2) * math.log(r)
    b = math.log(k_min / r) - math.log(iso_base)    # log k = log(iso) + b, k = k_min / R at ISO 100
    return NoiseModel(a=1.0, b=b, c=c, d=d, spread=2 * 0.24641096601611254,
                      iso_min=iso_base, iso_max=iso_base * k_max / k_min)


DEFAULT_PRESET = "pmrid_phone"   # what training uses with neither --noise nor paired data
NOISE_PRESETS: dict[str, NoiseModel] = {
    "pmrid_phone": _pmrid_phone(),
    "crvd_imx385": _crvd_imx385(),
    "eld_canon5d4": _eld_canon5d4(),
}
