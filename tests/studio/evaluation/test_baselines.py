"""Classical baselines: the generalised Anscombe transform stabilises Poisson-Gaussian noise, its
closed-form unbiased inverse is unbiased where the algebraic one is not, and every baseline denoises."""

from __future__ import annotations

import numpy as np
import pytest

from studio.data.noise import NoiseParams, add_noise
from studio.evaluation.baselines import BASELINES, anscombe, inverse_anscombe
from studio.evaluation.image_quality import psnr

PARAMS = NoiseParams(k=1e-3, sigma=5e-3)   # 10 photo-electrons at level 0.01; read noise 5 e-


def test_gat_makes_the_noise_unit_variance_across_intensities() -> None:
    rng = np.random.default_rng(0)
    for params in (PARAMS, NoiseParams(k=4e-3, sigma=2e-3)):
        for level in (0.02, 0.05, 0.2, 0.5, 0.9):
            noisy = add_noise(np.full(40_000, level), params, rng)
            assert anscombe(noisy, params).var() == pytest.approx(1.0, abs=0.05)


def algebraic_inverse(d: np.ndarray, params: NoiseParams) -> np.ndarray:
    return ((d * params.k / 2) ** 2 - 0.375 * params.k**2 - params.sigma**2) / params.k


def test_inverse_is_unbiased_on_the_mean_of_the_transform() -> None:
    """Applied to E[f(x)] (what an ideal denoiser returns) the inverse gives back the clean level, down to
    two photo-electrons, where the algebraic inverse is >10% low."""
    rng = np.random.default_rng(1)
    params = NoiseParams(k=1e-2, sigma=1e-2)
    for level in (0.02, 0.05, 0.1, 0.5):
        mean_d = anscombe(add_noise(np.full(200_000, level), params, rng), params).mean()
        assert float(inverse_anscombe(mean_d, params)) == pytest.approx(level, rel=0.03)
    mean_d = anscombe(add_noise(np.full(200_000, 0.02), params, rng), params).mean()
    assert float(algebraic_inverse(mean_d, params)) < 0.9 * 0.02


def test_inverse_is_non_negative_monotone_and_inverts_large_values() -> None:
    d = np.linspace(-1, 200, 5000)
    x = inverse_anscombe(d, PARAMS)
    assert (x >= 0).all() and (np.diff(x) >= 0).all()
    assert (x[d < 2 * np.sqrt(3 / 8)] == 0).all()
    level = np.array([0.3, 0.6])
    assert np.allclose(inverse_anscombe(anscombe(level, PARAMS), PARAMS), level, rtol=1e-3)


def smooth_scene(h: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:h] / h
    return np.stack([0.05 + 0.3 * (0.5 + 0.5 * np.sin(2 * np.pi * (xx + f * yy))) for f in (0.5, 1, 1.5, 2)])


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_each_baseline_raises_psnr(name: str) -> None:
    clean = smooth_scene().astype(np.float32)
    params = NoiseParams(k=2e-3, sigma=5e-3)
    noisy = add_noise(clean, params, np.random.default_rng(2))
    out = BASELINES[name](noisy, params)
    assert out.shape == clean.shape and out.dtype == np.float32
    assert psnr(out, clean) > psnr(noisy, clean) + 3.0


def test_baselines_want_a_packed_image() -> None:
    with pytest.raises(ValueError, match="packed"):
        BASELINES["bilateral"](np.zeros((64, 64), np.float32), PARAMS)
