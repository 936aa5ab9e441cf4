"""Feature maps tapped from a plain run of layers: what every Sequential-shaped zoo trunk returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn


def run_tapped(layers: Iterable[nn.Module], x: torch.Tensor, taps: dict[int, int],
               out: Callable[[torch.Tensor], torch.Tensor] | None = None) -> dict[int, torch.Tensor]:
    """Run ``layers`` in order on ``x``; the output of layer i is the map of stride ``taps[i]`` (passed
    through ``out`` when given, e.g. a channels-last to channels-first permute). -> {stride: map}."""
    maps: dict[int, torch.Tensor] = {}
    for i, layer in enumerate(layers):
        x = layer(x)
        if i in taps:
            maps[taps[i]] = x if out is None else out(x)
    return maps
