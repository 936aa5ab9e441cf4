"""validate_denoiser: PSNR / SSIM of the output and of the noisy input; a run scores its input once."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from studio.engine.validate_denoise import validate_denoiser


class HalfwayTask:
    """A stand-in task whose "denoiser" moves the noisy crop halfway to the clean one."""

    @staticmethod
    def batch_inputs(batch, device):
        noisy, clean = batch
        return noisy.to(device), {"clean": clean.to(device)}

    @staticmethod
    def forward(model, noisy, targets):
        return model((noisy + targets["clean"]) / 2)


@pytest.fixture
def loader():
    gen = torch.Generator().manual_seed(0)
    batches = []
    for _ in range(3):
        clean = torch.rand(2, 4, 24, 24, generator=gen) * 0.8 + 0.1
        batches.append((clean + 0.05 * torch.randn(2, 4, 24, 24, generator=gen), clean))
    return batches


def test_the_output_scores_above_the_noisy_input(loader):
    result = validate_denoiser(nn.Identity(), loader, HalfwayTask(), torch.device("cpu"))
    m = result.metrics
    assert m["val/psnr"] == pytest.approx(m["val/psnr_noisy"] + 20 * np.log10(2), abs=0.05)
    assert 0 < m["val/ssim_noisy"] < m["val/ssim"] < 1 and len(result.psnr) == len(result.psnr_noisy) == 6


def test_the_noisy_scores_are_computed_once_and_reused(loader):
    plain = validate_denoiser(nn.Identity(), loader, HalfwayTask(), torch.device("cpu")).metrics
    kept: dict[str, torch.Tensor] = {}
    first = validate_denoiser(nn.Identity(), loader, HalfwayTask(), torch.device("cpu"), noisy_scores=kept)
    assert first.metrics == pytest.approx(plain) and set(kept) == {"psnr_noisy", "ssim_noisy"}
    assert len(kept["psnr_noisy"]) == 6
    kept["psnr_noisy"] = torch.full((6,), 12.5, dtype=torch.float64)  # what a second pass must take as is
    second = validate_denoiser(nn.Identity(), loader, HalfwayTask(), torch.device("cpu"), noisy_scores=kept)
    assert second.metrics["val/psnr_noisy"] == 12.5
    assert second.metrics["val/psnr"] == pytest.approx(plain["val/psnr"])
    assert second.metrics["val/ssim_noisy"] == pytest.approx(plain["val/ssim_noisy"])
