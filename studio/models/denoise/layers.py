"""The parts of a NAFBlock (Chen et al. 2022, "Simple Baselines for Image Restoration"): a channel-wise
LayerNorm for (B, C, H, W) maps, SimpleGate and Simplified Channel Attention. All are plain tensor ops so
they export to ONNX as they are (no custom autograd function, unlike NAFNet's own LayerNorm2d)."""

from __future__ import annotations

import torch
from torch import nn


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel dimension of (B, C, H, W), per pixel: y = (x - mean_c) / sqrt(var_c + eps)
    * weight + bias, with the population variance (NAFNet's LayerNorm2d; equal to ``F.layer_norm`` over C
    after moving channels last). weight (C,) starts at 1 and bias (C,) at 0."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        y = (x - mu) / (var + self.eps).sqrt()
        return self.weight.view(1, -1, 1, 1) * y + self.bias.view(1, -1, 1, 1)


class SimpleGate(nn.Module):
    """(B, 2C, H, W) -> (B, C, H, W): the first half of the channels times the second half."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, dim=1)
        return x1 * x2


class SimplifiedChannelAttention(nn.Sequential):
    """(B, C, H, W) -> (B, C, H, W): x times a per-channel weight, a 1x1 conv of the global average of x.

    A Sequential of (pool, conv) so its parameters are named ``1.weight`` / ``1.bias`` as NAFNet's ``sca``
    is (a NAFNet state_dict loads into a NAFBlock here); unlike NAFNet's ``sca``, it returns the product."""

    def __init__(self, channels: int) -> None:
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, channels, 1, bias=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * super().forward(x)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H', W'), H' and W' the next multiples of ``multiple``, the new rows and columns
    at the bottom and right copies of the edge (replicate: defined for any size, unlike reflect, and
    exported to ONNX as an edge Pad whose amounts follow the input's shape). The caller crops back with
    ``y[..., :H, :W]``."""
    h, w = x.shape[-2:]
    pad_h, pad_w = (multiple - h % multiple) % multiple, (multiple - w % multiple) % multiple
    if not torch.jit.is_tracing() and not (pad_h or pad_w):
        return x
    return torch.nn.functional.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
