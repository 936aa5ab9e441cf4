"""The denoising criterion: a weighted sum of pixel L1, NAFNet's PSNR loss, a frequency (FFT) L1 and an
adjacent-pixel (gradient) L1, all between a prediction and its clean target of the same shape (B, C, H, W)
(packed RAW: C = 4, values in the normalised [0, 1] domain)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch

from studio.errors import ConfigError

PART_NAMES = ("l1", "psnr", "fft", "adjacent")  # every part, in the order the parts tensor lists them
PSNR_SCALE = 10 / math.log(10)  # 10 / ln 10: dB per natural-log unit of the MSE
PSNR_EPS = 1e-8                 # added to each image's MSE before the log (NAFNet's PSNRLoss)


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """mean |pred - target| over every element -> scalar."""
    return (pred - target).abs().mean()


def psnr_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """NAFNet's PSNRLoss -> scalar: 10 / ln 10 * mean over the batch of ln(MSE_b + 1e-8), MSE_b over (C, H, W)
    of image b. It equals minus the mean per-image PSNR for data range 1 (PSNR = -10 log10 MSE) while
    MSE >> 1e-8, so it is negative and in dB: -40 means 40 dB."""
    mse = (pred - target).pow(2).mean(dim=(1, 2, 3))
    return PSNR_SCALE * torch.log(mse + PSNR_EPS).mean()


def fft_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 between the 2D real FFTs -> scalar: the mean of |Re| and |Im| of rfft2(pred) - rfft2(target) over
    every coefficient (B, C, H, W // 2 + 1, 2 entries). norm="ortho" (unitary) keeps its scale independent
    of the crop size: for white errors of standard deviation s each entry is ~ s / sqrt(2) in size."""
    diff = torch.fft.rfft2(pred.float(), norm="ortho") - torch.fft.rfft2(target.float(), norm="ortho")
    return torch.view_as_real(diff).abs().mean()


def adjacent_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 between the differences of neighbouring pixels -> scalar: the mean of mean |dx(pred) - dx(target)|
    (dx = x[..., :, 1:] - x[..., :, :-1], horizontal) and the same for dy (vertical)."""
    err = pred - target  # the difference of differences is the difference of the error
    dx = err[..., :, 1:] - err[..., :, :-1]
    dy = err[..., 1:, :] - err[..., :-1, :]
    return 0.5 * (dx.abs().mean() + dy.abs().mean())


PARTS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "l1": l1_loss, "psnr": psnr_loss, "fft": fft_loss, "adjacent": adjacent_loss,
}


class DenoiseLoss:
    """``weights``: part name -> weight >= 0 (a missing part weighs 0). ``names``: the parts with weight > 0,
    in PART_NAMES order.

    ``__call__(pred (B, C, H, W), target (B, C, H, W))`` -> (total: the weighted sum, a scalar with grad;
    parts (len(names),): each part's unweighted value, detached).
    """

    def __init__(self, weights: Mapping[str, float] | None = None) -> None:
        weights = dict(weights) if weights is not None else {"l1": 1.0}
        unknown = sorted(set(weights) - set(PART_NAMES))
        if unknown:
            raise ConfigError(f"unknown denoise loss parts: {', '.join(unknown)}; "
                              f"choose from {', '.join(PART_NAMES)}")
        bad = {k: v for k, v in weights.items() if not isinstance(v, int | float) or v < 0 or math.isnan(v)}
        if bad:
            raise ConfigError(f"denoise loss weights must be numbers >= 0, got {bad}")
        self.weights = {name: float(weights[name]) for name in PART_NAMES if weights.get(name, 0) > 0}
        if not self.weights:
            raise ConfigError(f"every denoise loss weight is 0 ({weights}): give one part a weight > 0")
        self.names = tuple(self.weights)

    def __call__(self, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if pred.shape != target.shape or pred.dim() != 4:
            raise ValueError(f"pred and target must both be (B, C, H, W): {tuple(pred.shape)} vs "
                             f"{tuple(target.shape)}")
        values = [PARTS[name](pred, target) for name in self.names]
        total = sum(w * v for w, v in zip(self.weights.values(), values, strict=True))
        return total, torch.stack([v.detach().float() for v in values])
