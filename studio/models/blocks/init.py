"""The initialisation most torchvision CNNs share: kaiming-normal (fan out) convs with zero biases,
BatchNorm weight 1 and bias 0. Linear layers differ per family and are left to the caller."""

from __future__ import annotations

from torch import nn


def init_conv_bn(module: nn.Module) -> None:
    """Initialise every Conv2d and BatchNorm2d inside ``module`` in place (works on the meta device)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
