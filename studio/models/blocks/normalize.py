"""ImageNet input normalisation, the first step of every zoo backbone: our images are RGB in [0, 1] and the
ImageNet checkpoints users bring expect (x - mean) / std. Constants, not buffers, so that state dicts
keep the published names."""

from __future__ import annotations

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageNetNormalize(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> (B, 3, H, W) standardised with the ImageNet mean and std (buffers that
    follow the module's device and dtype, left out of the state dict)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).reshape(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std
