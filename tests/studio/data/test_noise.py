"""Poisson-Gaussian noise: synthesis statistics (numpy and torch), the k-sigma transform, calibration
(pairs, flats and darks, across ISOs), the presets against their published figures, and the YAML file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.data.noise import (
    DEFAULT_PRESET,
    NOISE_PRESETS,
    NoiseModel,
    NoiseParams,
    add_noise,
    add_noise_torch,
    fit_flat_dark,
    fit_model,
    fit_pair,
    inverse_ksigma,
    ksigma,
)
from studio.errors import ConfigError

LEVELS = np.array([0.0, 0.01, 0.05, 0.2, 0.6])
TRUE = NoiseParams(k=1e-3, sigma=5e-3)


def test_add_noise_mean_and_variance_follow_the_model() -> None:
    clean = np.repeat(LEVELS[:, None], 40_000, axis=1).astype(np.float32)
    noisy = add_noise(clean, TRUE, np.random.default_rng(0))
    assert noisy.dtype == np.float32 and noisy.shape == clean.shape
    expected = TRUE.k * LEVELS + TRUE.sigma**2
    assert np.allclose(noisy.var(axis=1), expected, rtol=0.03)
    assert np.allclose(noisy.mean(axis=1), LEVELS, atol=3 * np.sqrt(expected / 40_000))
    assert (noisy[0] < 0).mean() > 0.4           # noise below black stays negative


def test_negative_clean_gets_read_noise_only() -> None:
    noisy = add_noise(np.full(20_000, -0.01), TRUE, np.random.default_rng(1))
    assert noisy.var() == pytest.approx(TRUE.sigma**2, rel=0.03)


def test_add_noise_torch_per_item_levels_and_generator() -> None:
    clean = torch.full((2, 4, 64, 64), 0.2, dtype=torch.float64)
    k = torch.tensor([1e-3, 4e-3], dtype=torch.float64)
    sigma = torch.tensor([5e-3, 1e-2], dtype=torch.float64)
    noisy = add_noise_torch(clean, k, sigma, torch.Generator().manual_seed(0))
    assert noisy.shape == clean.shape and noisy.dtype == clean.dtype
    expected = k * 0.2 + sigma**2
    assert torch.allclose(noisy.flatten(1).var(1), expected, rtol=0.05)
    again = add_noise_torch(clean, k, sigma, torch.Generator().manual_seed(0))
    assert torch.equal(noisy, again)
    scalar = add_noise_torch(clean.float(), 1e-3, 5e-3)
    assert scalar.dtype == torch.float32


def test_ksigma_inverse_identity_and_variance_stabilisation() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(0.2, 0.1, (3, 4, 8, 8))
    k, sigma = np.array([1e-3, 2e-3, 5e-3]), np.array([1e-3, 4e-3, 2e-2])
    assert np.allclose(inverse_ksigma(ksigma(x, k, sigma), k, sigma), x, atol=1e-12)
    xt = torch.from_numpy(x)
    kt, st = torch.from_numpy(k), torch.from_numpy(sigma)
    assert torch.allclose(inverse_ksigma(ksigma(xt, kt, st), kt, st), xt, atol=1e-12)
    assert torch.allclose(ksigma(xt, kt, st), torch.from_numpy(ksigma(x, k, sigma)))
    # after the transform the variance equals the transformed mean (unit-gain Poisson-like)
    noisy = add_noise(np.full(50_000, 0.05), TRUE, rng)
    t = ksigma(noisy, TRUE.k, TRUE.sigma)
    assert t.var() == pytest.approx(ksigma(0.05, TRUE.k, TRUE.sigma), rel=0.03)


def ramp(h: int = 128, top: float = 0.3) -> np.ndarray:
    return np.broadcast_to(np.linspace(0, top, h)[None, None, :], (4, h, h)).copy()


def test_fit_pair_recovers_k_and_sigma() -> None:
    clean = ramp()
    for seed in range(3):
        got = fit_pair(add_noise(clean, TRUE, np.random.default_rng(seed)), clean)
        assert got.k == pytest.approx(TRUE.k, rel=0.05)
        assert got.sigma == pytest.approx(TRUE.sigma, rel=0.05)


def test_fit_pair_ignores_clipped_highlights() -> None:
    clean = ramp(top=1.0)
    noisy = np.minimum(add_noise(clean, TRUE, np.random.default_rng(4)), 1.0)   # clipped at white
    got = fit_pair(noisy, clean)
    assert got.k == pytest.approx(TRUE.k, rel=0.05)


def test_fit_pair_refuses_what_it_cannot_fit() -> None:
    with pytest.raises(ValueError, match="two intensity bins"):
        fit_pair(np.zeros((4, 4, 4)), np.zeros((4, 4, 4)))
    clean = ramp()
    std = np.sqrt(4e-4 - 1e-3 * clean)                   # noise that shrinks in the highlights
    shrinking = clean + np.random.default_rng(5).normal(0, 1, clean.shape) * std
    with pytest.raises(ValueError, match="not positive"):
        fit_pair(shrinking, clean)


def flats_and_darks(rng: np.random.Generator, pairs: bool) -> tuple[list, list]:
    def frame(level: float) -> np.ndarray:
        return add_noise(np.full((4, 64, 64), level), TRUE, rng)

    flats = [[frame(v), frame(v)] if pairs else frame(v) for v in (0.02, 0.1, 0.3)]
    return flats, [frame(0.0), frame(0.0)]


def test_fit_flat_dark_recovers_k_and_sigma() -> None:
    rng = np.random.default_rng(6)
    for pairs in (True, False):
        flats, darks = flats_and_darks(rng, pairs)
        for got in (fit_flat_dark(flats, darks), fit_flat_dark(flats, darks[:1]), fit_flat_dark(flats)):
            assert got.k == pytest.approx(TRUE.k, rel=0.05)
            assert got.sigma == pytest.approx(TRUE.sigma, rel=0.05)


def test_fit_flat_dark_difference_of_pairs_cancels_fixed_pattern() -> None:
    rng = np.random.default_rng(7)
    pattern = rng.normal(0, 0.01, (4, 64, 64))           # PRNU-like fixed pattern, same in every frame
    flats = [[add_noise(np.full((4, 64, 64), v), TRUE, rng) + pattern * v for _ in range(2)]
             for v in (0.05, 0.2)]
    darks = [add_noise(np.zeros((4, 64, 64)), TRUE, rng) + pattern * 0.1 for _ in range(2)]
    got = fit_flat_dark(flats, darks)
    assert got.k == pytest.approx(TRUE.k, rel=0.05) and got.sigma == pytest.approx(TRUE.sigma, rel=0.05)
    with pytest.raises(ValueError, match="two or more levels"):
        fit_flat_dark(flats[:1])


def test_fit_model_recovers_lines_and_spread() -> None:
    truth = NoiseModel(a=0.95, b=-13.0, c=1.6, d=-1.5, iso_min=100, iso_max=12800)
    isos = [100, 200, 400, 800, 1600, 3200, 6400, 12800]
    fitted = fit_model([(iso, truth.params(iso)) for iso in isos])
    for name in ("a", "b", "c", "d", "iso_min", "iso_max"):
        assert getattr(fitted, name) == pytest.approx(getattr(truth, name), rel=1e-9, abs=1e-9)
    assert fitted.spread < 1e-9
    rng = np.random.default_rng(8)
    jittered = [(iso, NoiseParams(p.k, p.sigma * math.exp(0.5 * rng.normal(0, 0.2))))
                for iso in np.geomspace(100, 12800, 200) for p in [truth.params(iso)]]
    fitted = fit_model(jittered)
    assert fitted.c == pytest.approx(1.6, abs=0.05) and fitted.spread == pytest.approx(0.2, rel=0.15)


def test_fit_model_single_iso_and_unknown_iso() -> None:
    one = fit_model([(800, TRUE)])
    assert (one.a, one.c, one.iso_range) == (1.0, 2.0, (800.0, 800.0))
    assert one.params(800).k == pytest.approx(TRUE.k) and one.params(800).sigma == pytest.approx(TRUE.sigma)
    unknown = fit_model([(None, TRUE), (None, TRUE)])
    assert unknown.params(unknown.iso_min).sigma == pytest.approx(TRUE.sigma)
    with pytest.raises(ValueError, match="no ISO"):
        fit_model([(None, TRUE), (800, TRUE)])


def test_sample_stays_in_the_iso_range_and_jitters_by_spread() -> None:
    model = NOISE_PRESETS["crvd_imx385"]
    rng = np.random.default_rng(9)
    k, sigma = model.sample_many(rng, 4000)
    lo, hi = model.params(model.iso_min).k, model.params(model.iso_max).k
    assert lo * (1 - 1e-9) <= k.min() and k.max() <= hi * (1 + 1e-9)
    resid = np.log(sigma**2) - (model.c * np.log(k) + model.d)
    assert resid.std() == pytest.approx(model.spread, rel=0.1)
    one = model.sample(rng)
    assert isinstance(one, NoiseParams) and lo <= one.k <= hi


def test_presets_reproduce_their_published_figures() -> None:
    assert DEFAULT_PRESET in NOISE_PRESETS
    crvd = NOISE_PRESETS["crvd_imx385"]
    published = ((1600, 3.513262, 11.917691), (6400, 13.486051, 130.818508), (25600, 52.032536, 1819.818657))
    for iso, a, b in published:
        assert crvd.params(iso).k == pytest.approx(a / 3855, rel=0.01)
        assert crvd.params(iso).sigma == pytest.approx(math.sqrt(b) / 3855, rel=0.05)
    pmrid = NOISE_PRESETS["pmrid_phone"]
    for iso in (100, 800, 6400):
        assert pmrid.params(iso).k == pytest.approx((0.0005995267 * iso + 0.00868861) / 959, rel=0.05)
        var_dn = 7.11772e-7 * iso**2 + 6.514934e-4 * iso + 0.11492713
        assert pmrid.params(iso).sigma == pytest.approx(math.sqrt(var_dn) / 959, rel=0.3)
    eld = NOISE_PRESETS["eld_canon5d4"]
    r = 16383 - 2048
    at_unit_gain = eld.params(eld.iso_min / 0.2181895124454343)          # K = 1 DN/e-
    assert at_unit_gain.k == pytest.approx(1 / r)
    assert at_unit_gain.sigma == pytest.approx(math.exp(1.5121876510805845) / r)


def test_noise_params_validate() -> None:
    with pytest.raises(ConfigError, match="gain k"):
        NoiseParams(k=0.0, sigma=0.01)
    with pytest.raises(ConfigError, match="sigma"):
        NoiseParams(k=1e-3, sigma=-1.0)


def test_save_load_round_trip(tmp_path: Path) -> None:
    for name, model in NOISE_PRESETS.items():
        path = model.save(tmp_path / f"{name}.yaml")
        assert path.read_text(encoding="utf-8").startswith("# Tern noise model")
        assert NoiseModel.load(path) == model
    (tmp_path / "minimal.yaml").write_text("a: 1\nb: -12\nc: 2\nd: 0.5\n", encoding="utf-8")
    assert NoiseModel.load(tmp_path / "minimal.yaml") == NoiseModel(a=1, b=-12, c=2, d=0.5)


@pytest.mark.parametrize(("text", "needle"), [
    ("a: 1\nb: 2\nc: 3\n", "missing key 'd'"),
    ("a: 1\nb: 2\nc: three\nd: 4\n", "key 'c' must be a finite number"),
    ("a: 1\nb: 2\nc: 3\nd: 4\nslope: 5\n", "unknown key 'slope'"),
    ("a: 1\nb: 2\nc: 3\nd: 4\nspread: .nan\n", "key 'spread'"),
    ("a: 1\nb: 2\nc: 3\nd: 4\niso_min: 800\niso_max: 100\n", "iso_min <= iso_max"),
    ("- 1\n- 2\n", "expected a mapping"),
    ("a: [1\n", "cannot read the noise model"),
])
def test_malformed_file_names_the_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "noise.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"noise\.yaml") as info:
        NoiseModel.load(path)
    assert needle in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml"):
        NoiseModel.load(tmp_path / "missing.yaml")
