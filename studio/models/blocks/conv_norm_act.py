"""Conv2d -> BatchNorm2d -> activation as an ``nn.Sequential`` (children 0, 1, 2), named as torchvision's
``Conv2dNormActivation`` so that its ImageNet state dicts load by name."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn


class ConvNormAct(nn.Sequential):
    """(B, c1, H, W) -> (B, c2, H / s, W / s). ``padding`` defaults to "same" for odd kernels
    ((k - 1) // 2 * dilation). ``act`` is a module factory (``nn.ReLU``, ``nn.SiLU``, ``nn.Hardswish``, ...)
    or None for no activation; the conv has no bias because the BatchNorm follows."""

    def __init__(self, c1: int, c2: int, k: int = 3, s: int = 1, *, groups: int = 1, dilation: int = 1,
                 padding: int | None = None, act: Callable[[], nn.Module] | None = nn.ReLU,
                 eps: float = 1e-5, momentum: float = 0.1) -> None:
        pad = (k - 1) // 2 * dilation if padding is None else padding
        layers: list[nn.Module] = [
            nn.Conv2d(c1, c2, k, s, pad, dilation=dilation, groups=groups, bias=False),
            nn.BatchNorm2d(c2, eps=eps, momentum=momentum),
        ]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)
        self.out_channels = c2
