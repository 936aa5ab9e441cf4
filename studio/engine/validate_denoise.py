"""Validation of a denoiser: PSNR and SSIM (``studio/evaluation/image_quality.py``, equal to
scikit-image's) on the fixed validation crops, of the denoised output and of the noisy input, on the packed
black-subtracted data clipped to [0, 1]; on request a grid of noisy | denoised | clean crops."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

GRID_ROWS = 4


@dataclass(frozen=True)
class DenoiseValResult:
    metrics: dict[str, float]   # val/psnr, val/ssim (denoised), val/psnr_noisy, val/ssim_noisy (the input)
    psnr: np.ndarray            # (N,) per crop, denoised
    psnr_noisy: np.ndarray      # (N,) per crop, input


@torch.no_grad()
def validate_denoiser(model: nn.Module, loader, task, device: torch.device, plots: Path | None = None,
                      heartbeat=None,
                      noisy_scores: dict[str, torch.Tensor] | None = None) -> DenoiseValResult:
    """``task.forward`` (encode, network, decode) over ``loader``'s crops. ``noisy_scores``: the noisy
    input's per-crop scores of an earlier pass over the same (fixed) crops; an empty dict is filled with
    them, so a training run scores its noisy input once, not every epoch."""
    from studio.evaluation.image_quality import psnr_torch, ssim_torch

    model.eval()
    scores: dict[str, list[torch.Tensor]] = {"psnr": [], "ssim": [], "psnr_noisy": [], "ssim_noisy": []}
    known = bool(noisy_scores)
    shown = []
    for i, batch in enumerate(loader):
        noisy, targets = task.batch_inputs(batch, device)
        clean = targets["clean"].clamp(0, 1).double()
        out = task.forward(model, noisy, targets).clamp(0, 1).double()
        scores["psnr"].append(psnr_torch(out, clean).cpu())
        scores["ssim"].append(ssim_torch(out, clean).cpu())
        if not known:
            noisy_c = noisy.clamp(0, 1).double()
            scores["psnr_noisy"].append(psnr_torch(noisy_c, clean).cpu())
            scores["ssim_noisy"].append(ssim_torch(noisy_c, clean).cpu())
        for j in range(len(out)):
            if len(shown) < GRID_ROWS:
                shown.append(tuple(t[j].float().cpu().numpy() for t in (noisy, out, targets["clean"])))
        if heartbeat is not None:
            heartbeat(i + 1, len(loader))
    if known:
        scores.update({name: [noisy_scores[name]] for name in ("psnr_noisy", "ssim_noisy")})
    elif noisy_scores is not None:
        noisy_scores.update({name: torch.cat(scores[name]) for name in ("psnr_noisy", "ssim_noisy")})
    values = {name: torch.cat(parts).numpy() for name, parts in scores.items()}
    metrics = {f"val/{name}": float(np.mean(v)) for name, v in values.items()}
    if plots is not None and shown:
        from studio.evaluation.denoise_plots import comparison_grid

        comparison_grid(shown, plots / "val_denoised.png")
    return DenoiseValResult(metrics, values["psnr"], values["psnr_noisy"])
