"""Re-parameterisable blocks (RepVGG, as YOLOv6 uses them): several branches while training, one 3x3 conv
with bias after ``fuse()``. All take and return (B, C, H, W) float feature maps."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.layers import Conv, activation, batch_norm, fold_bn_tensors, make_divisible


def _conv_bn(c1: int, c2: int, k: int, s: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, bias=False), batch_norm(c2))


class RepConv(nn.Module):
    """RepVGG block: act(3x3 conv+BN  +  1x1 conv+BN  +  BN(x) when c1 == c2 and s == 1).
    (B,c1,H,W) -> (B,c2,H/s,W/s). ``fuse()`` folds the three branches into ``self.rbr_reparam``, one 3x3
    conv with bias giving the same eval-mode output; the branches are then removed (idempotent)."""

    def __init__(self, c1: int, c2: int, s: int = 1, act: str = "relu") -> None:
        super().__init__()
        self.c1, self.c2, self.stride = c1, c2, s
        self.rbr_dense: nn.Sequential | None = _conv_bn(c1, c2, 3, s)
        self.rbr_1x1: nn.Sequential | None = _conv_bn(c1, c2, 1, s)
        self.rbr_identity: nn.BatchNorm2d | None = batch_norm(c1) if c1 == c2 and s == 1 else None
        self.rbr_reparam: nn.Conv2d | None = None
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rbr_reparam is not None:
            return self.act(self.rbr_reparam(x))
        assert self.rbr_dense is not None and self.rbr_1x1 is not None
        y = self.rbr_dense(x) + self.rbr_1x1(x)
        if self.rbr_identity is not None:
            y = y + self.rbr_identity(x)
        return self.act(y)

    def equivalent_kernel_bias(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(weight (c2, c1, 3, 3), bias (c2,)) of the single conv equal to the three branches in eval mode."""
        assert self.rbr_dense is not None and self.rbr_1x1 is not None
        w3, b3 = fold_bn_tensors(self.rbr_dense[0].weight, None, self.rbr_dense[1])
        w1, b1 = fold_bn_tensors(self.rbr_1x1[0].weight, None, self.rbr_1x1[1])
        weight, bias = w3 + F.pad(w1, [1, 1, 1, 1]), b3 + b1
        if self.rbr_identity is not None:
            eye = torch.zeros_like(w3)
            eye[torch.arange(self.c1), torch.arange(self.c1), 1, 1] = 1.0
            wi, bi = fold_bn_tensors(eye, None, self.rbr_identity)
            weight, bias = weight + wi, bias + bi
        return weight, bias

    def fuse(self) -> None:
        """Replace the branches by one 3x3 conv with bias (idempotent)."""
        if self.rbr_reparam is not None:
            return
        weight, bias = self.equivalent_kernel_bias()
        dense = self.rbr_dense[0]
        conv = nn.Conv2d(self.c1, self.c2, 3, self.stride, 1, bias=True).to(weight.device, weight.dtype)
        with torch.no_grad():
            conv.weight.copy_(weight)
            conv.bias.copy_(bias)
        self.rbr_reparam = conv.requires_grad_(dense.weight.requires_grad)
        self.rbr_dense = self.rbr_1x1 = self.rbr_identity = None


class RepBlock(nn.Module):
    """``n`` RepConv blocks in a row, the first mapping c1 -> c2 (YOLOv6 RepBlock).
    (B,c1,H,W) -> (B,c2,H,W)."""

    def __init__(self, c1: int, c2: int, n: int = 1, act: str = "relu") -> None:
        super().__init__()
        self.blocks = nn.Sequential(*(RepConv(c1 if i == 0 else c2, c2, act=act) for i in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class CSPRepBlock(nn.Module):
    """CSP-wrapped RepBlock (YOLOv6's BepC3 idea): 1x1 Convs split the input into two ``c2 * e`` halves,
    ``n`` RepConvs run on one, a 1x1 Conv merges the concatenation to ``c2``. (B,c1,H,W) -> (B,c2,H,W);
    about e^2 the cost of a plain RepBlock of the same depth."""

    def __init__(self, c1: int, c2: int, n: int = 1, e: float = 0.5, act: str = "relu") -> None:
        super().__init__()
        hidden = make_divisible(c2 * e, 4)
        self.cv1 = Conv(c1, hidden, 1, act=act)
        self.cv2 = Conv(c1, hidden, 1, act=act)
        self.m = RepBlock(hidden, hidden, n, act=act)
        self.cv3 = Conv(2 * hidden, c2, 1, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))
