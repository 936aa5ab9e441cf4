"""Stochastic depth (Huang et al. 2016, "Deep Networks with Stochastic Depth"): in training, drop a
residual branch per sample with probability ``p`` and scale the survivors by 1 / (1 - p); identity in
eval. Same behaviour as torchvision's ``ops.StochasticDepth`` (no parameters, so no state-dict keys)."""

from __future__ import annotations

import torch
from torch import nn


def stochastic_depth(x: torch.Tensor, p: float, mode: str, training: bool) -> torch.Tensor:
    """(B, ...) -> (B, ...). ``mode`` "row" drops whole samples, "batch" the whole batch at once."""
    if mode not in ("row", "batch"):
        raise ValueError(f"stochastic depth mode must be 'row' or 'batch', got {mode!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"stochastic depth probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    survival = 1.0 - p
    shape = (x.shape[0],) + (1,) * (x.ndim - 1) if mode == "row" else (1,) * x.ndim
    noise = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(survival)
    if survival > 0.0:
        noise.div_(survival)
    return x * noise


class StochasticDepth(nn.Module):
    """(B, C, H, W) -> (B, C, H, W): ``stochastic_depth`` with this module's training flag."""

    def __init__(self, p: float, mode: str = "row") -> None:
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return stochastic_depth(x, self.p, self.mode, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"
