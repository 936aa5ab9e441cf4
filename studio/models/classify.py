"""A zoo backbone as the published ImageNet classifier (backbone + its ``classifier()`` head), and the
counts used to check it against the published parameter figures."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class ImageClassifier(nn.Module):
    """(B, 3, H, W) RGB in [0, 1] -> logits (B, num_classes). ``head`` takes the backbone's
    ``{stride: map}`` dict (usually only the stride-32 map)."""

    def __init__(self, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def count_parameters(module: nn.Module) -> int:
    """Number of parameter elements (works on the meta device: no memory is used)."""
    return sum(p.numel() for p in module.parameters())


def classifier_on_meta(build: Callable[[], nn.Module], num_classes: int = 1000) -> ImageClassifier:
    """``build()`` (a zoo constructor) plus its classification head, made on the meta device: no memory
    and no init time, so even VGG-16's 138 M parameters cost nothing to count."""
    with torch.device("meta"):
        backbone = build()
        return ImageClassifier(backbone, backbone.classifier(num_classes))


def feature_problems(backbone: nn.Module, size: int = 64) -> list[str]:
    """What is wrong with ``backbone`` against the zoo contract at a (1, 3, size, size) input: missing or
    extra strides, wrong channel counts, wrong map sizes. An empty list means it conforms."""
    problems = []
    expected = {4, 8, 16, 32}
    if set(backbone.out_channels) != expected:
        problems.append(f"out_channels strides {sorted(backbone.out_channels)} != {sorted(expected)}")
    with torch.no_grad():
        feats = backbone.eval()(torch.rand(1, 3, size, size))
    if set(feats) != set(backbone.out_channels):
        problems.append(f"forward strides {sorted(feats)} != out_channels {sorted(backbone.out_channels)}")
    for stride, fmap in feats.items():
        want = (1, backbone.out_channels.get(stride), size // stride, size // stride)
        if tuple(fmap.shape) != want:
            problems.append(f"stride {stride}: shape {tuple(fmap.shape)} != {want}")
    return problems
