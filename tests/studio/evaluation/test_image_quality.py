"""PSNR / SSIM: equal to scikit-image's (Wang et al. settings) on random and structured images of several
shapes, identical images, and the batched torch versions equal to the numpy ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import skimage.data
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from studio.evaluation.image_quality import psnr, psnr_torch, ssim, ssim_torch


def sk_ssim(a: np.ndarray, b: np.ndarray) -> float:
    return float(structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=1, channel_axis=0))


def structured(shape: tuple[int, int, int], rng: np.random.Generator) -> np.ndarray:
    """(C, H, W) in [0, 1]: gradients, a sharp-edged square, stripes and a natural photo crop."""
    c, h, w = shape
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    photo = skimage.data.camera()[:h, :w] / 255.0
    planes = [0.1 + 0.8 * xx * yy, (np.abs(xx - 0.5) < 0.2) & (np.abs(yy - 0.3) < 0.2),
              0.5 + 0.4 * np.sin(40 * xx), photo]
    return np.stack([np.asarray(planes[(i + int(rng.integers(4))) % 4], np.float64) for i in range(c)])


SHAPES = [(4, 11, 11), (4, 16, 37), (1, 64, 64), (3, 50, 23), (4, 96, 128)]


@pytest.mark.parametrize("shape", SHAPES)
def test_ssim_equals_skimage_on_random_and_structured(shape: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    for clean in (rng.random(shape), structured(shape, rng)):
        for noisy in (clean + rng.normal(0, 0.05, shape), np.clip(clean + rng.normal(0, 0.3, shape), 0, 1),
                      rng.random(shape), 0.5 * clean + 0.2):
            assert abs(ssim(noisy, clean) - sk_ssim(noisy, clean)) < 1e-4
            assert psnr(noisy, clean) == pytest.approx(peak_signal_noise_ratio(clean, noisy, data_range=1))


def test_ssim_equals_skimage_on_a_photo_with_float32_input() -> None:
    img = np.moveaxis(skimage.data.astronaut()[:160, 100:260], -1, 0).astype(np.float32) / 255
    blurred = (img + np.roll(img, 1, axis=2) + np.roll(img, 1, axis=1)) / 3
    assert abs(ssim(blurred, img) - sk_ssim(blurred, img)) < 1e-4
    assert abs(ssim(blurred, img) - sk_ssim(blurred.astype(np.float64), img.astype(np.float64))) < 1e-9


def test_identical_images_psnr_inf_and_ssim_one() -> None:
    img = np.random.default_rng(0).random((4, 32, 32))
    assert psnr(img, img) == math.inf
    assert ssim(img, img) == pytest.approx(1.0, abs=1e-12)
    batch = torch.from_numpy(np.stack([img, img]))
    assert torch.isinf(psnr_torch(batch, batch)).all()
    assert torch.allclose(ssim_torch(batch, batch), torch.ones(2, dtype=torch.float64))


def test_data_range_scales_like_skimage() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.random((2, 40, 40)) * 255, rng.random((2, 40, 40)) * 255
    ref = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                data_range=255, channel_axis=0)
    assert abs(ssim(a, b, data_range=255) - ref) < 1e-4
    assert psnr(a, b, data_range=255) == pytest.approx(psnr(a / 255, b / 255))


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="shape"):
        ssim(np.zeros((4, 20, 20)), np.zeros((4, 20, 21)))
    with pytest.raises(ValueError, match="11x11"):
        ssim(np.zeros((4, 10, 20)), np.zeros((4, 10, 20)))
    with pytest.raises(ValueError, match="B, C, H, W"):
        ssim_torch(torch.zeros(4, 20, 20), torch.zeros(4, 20, 20))


def test_torch_batches_equal_numpy() -> None:
    rng = np.random.default_rng(7)
    clean = np.stack([structured((4, 48, 40), rng) for _ in range(3)])
    noisy = clean + rng.normal(0, 0.08, clean.shape)
    expected_ssim = [ssim(n, c) for n, c in zip(noisy, clean, strict=True)]
    expected_psnr = [psnr(n, c) for n, c in zip(noisy, clean, strict=True)]
    got = ssim_torch(torch.from_numpy(noisy), torch.from_numpy(clean))
    assert got.shape == (3,) and got.dtype == torch.float64
    assert np.abs(got.numpy() - expected_ssim).max() < 1e-5
    assert np.allclose(psnr_torch(torch.from_numpy(noisy), torch.from_numpy(clean)).numpy(), expected_psnr)
    got32 = ssim_torch(torch.from_numpy(noisy).float(), torch.from_numpy(clean).float())
    assert got32.dtype == torch.float32 and np.abs(got32.numpy() - expected_ssim).max() < 1e-5
