"""The denoising criterion: each part against a value worked out by hand, the PSNR part against PSNR, and
how DenoiseLoss weighs, orders and reports its parts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from studio.errors import ConfigError
from studio.models.losses.denoise import PART_NAMES, DenoiseLoss, adjacent_loss, fft_loss, l1_loss, psnr_loss


def test_l1_by_hand():
    pred = torch.zeros(1, 1, 2, 2)
    target = torch.tensor([[[[1.0, -2.0], [3.0, 4.0]]]])
    assert l1_loss(pred, target).item() == pytest.approx(2.5)


def test_psnr_loss_is_minus_mean_psnr():
    """Image 0 off by 0.1 everywhere (MSE 1e-2: 20 dB), image 1 by 0.01 (MSE 1e-4: 40 dB): -30 dB, the mean
    of the per-image PSNRs, not the PSNR of the pooled MSE (~23 dB)."""
    target = torch.zeros(2, 4, 3, 5)
    pred = torch.cat([torch.full((1, 4, 3, 5), 0.1), torch.full((1, 4, 3, 5), -0.01)])
    assert psnr_loss(pred, target).item() == pytest.approx(-30.0, abs=1e-3)
    torch.manual_seed(0)
    pred, target = torch.rand(3, 4, 8, 8), torch.rand(3, 4, 8, 8)
    psnr = -10 * torch.log10((pred - target).pow(2).mean(dim=(1, 2, 3)))
    assert psnr_loss(pred, target).item() == pytest.approx(-psnr.mean().item(), abs=1e-4)


def test_psnr_loss_is_finite_for_a_perfect_prediction():
    x = torch.rand(1, 4, 4, 4)
    assert psnr_loss(x, x).item() == pytest.approx(10 * math.log10(1e-8))  # -80 dB: the 1e-8 floor


def test_fft_loss_by_hand():
    """A unit impulse on 2 x 2: every orthonormal rfft2 coefficient (2 x 2 of them) is 1 / 2 real, 0
    imaginary: mean over the 8 real and imaginary entries 4 * 0.5 / 8 = 0.25. A constant 1: only the DC
    coefficient, 4 / sqrt(4) = 2, so 2 / 8 = 0.25 too."""
    zero = torch.zeros(1, 1, 2, 2)
    impulse = zero.clone()
    impulse[..., 0, 0] = 1
    assert fft_loss(impulse, zero).item() == pytest.approx(0.25)
    assert fft_loss(torch.ones(1, 1, 2, 2), zero).item() == pytest.approx(0.25)


def test_fft_loss_against_numpy():
    rng = np.random.default_rng(0)
    pred, target = rng.random((2, 4, 6, 9)), rng.random((2, 4, 6, 9))
    diff = np.fft.rfft2(pred, norm="ortho") - np.fft.rfft2(target, norm="ortho")
    expected = np.concatenate([np.abs(diff.real).ravel(), np.abs(diff.imag).ravel()]).mean()
    got = fft_loss(torch.from_numpy(pred).float(), torch.from_numpy(target).float()).item()
    assert got == pytest.approx(expected, rel=1e-5)


def test_adjacent_loss_by_hand():
    """pred [[0, 1], [0, 0]] vs zeros: horizontal differences (1, 0) -> mean 0.5, vertical (0, -1) -> 0.5;
    their mean 0.5. A constant offset has no adjacent error."""
    zero = torch.zeros(1, 1, 2, 2)
    pred = torch.tensor([[[[0.0, 1.0], [0.0, 0.0]]]])
    assert adjacent_loss(pred, zero).item() == pytest.approx(0.5)
    x = torch.rand(1, 4, 5, 6)
    assert adjacent_loss(x + 0.3, x).item() == pytest.approx(0.0, abs=1e-6)


def test_denoise_loss_weights_order_and_parts():
    torch.manual_seed(0)
    target = torch.rand(2, 4, 8, 8)
    pred = (target + 0.05 * torch.randn(2, 4, 8, 8)).requires_grad_(True)
    loss = DenoiseLoss({"adjacent": 0.5, "l1": 1.0, "psnr": 0.0, "fft": 2.0})
    assert loss.names == ("l1", "fft", "adjacent")  # PART_NAMES order, weight 0 left out
    total, parts = loss(pred, target)
    expected = [l1_loss(pred, target), fft_loss(pred, target), adjacent_loss(pred, target)]
    torch.testing.assert_close(parts, torch.stack(expected).detach())
    weighted = 1.0 * parts[0].item() + 2.0 * parts[1].item() + 0.5 * parts[2].item()
    assert total.item() == pytest.approx(weighted, rel=1e-6)
    assert not parts.requires_grad and total.requires_grad
    total.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()


def test_denoise_loss_defaults_and_every_part():
    assert DenoiseLoss().names == ("l1",)
    _, parts = DenoiseLoss(dict.fromkeys(PART_NAMES, 1.0))(torch.zeros(1, 4, 4, 4), torch.ones(1, 4, 4, 4))
    assert parts.shape == (4,)
    assert parts[0].item() == pytest.approx(1.0) and parts[1].item() == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("weights", [{"ssim": 1.0}, {"l1": -1.0}, {"l1": 0.0, "fft": 0.0}, {}])
def test_bad_weights_raise(weights):
    with pytest.raises(ConfigError):
        DenoiseLoss(weights)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="B, C, H, W"):
        DenoiseLoss()(torch.zeros(1, 4, 4, 4), torch.zeros(1, 4, 4, 5))
