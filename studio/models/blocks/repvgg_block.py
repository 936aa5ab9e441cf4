"""The RepVGG block (Ding et al. 2021, "RepVGG: Making VGG-style ConvNets Great Again", Sec. 3.3, Fig. 4)
named as the authors' code (DingXiaoH/RepVGG ``repvgg.py``: ``rbr_dense.conv`` / ``rbr_dense.bn``,
``rbr_1x1.conv`` / ``rbr_1x1.bn``, ``rbr_identity``; after fusing ``rbr_reparam``), with BatchNorm's
default eps 1e-5. The branch arithmetic and ``fuse()`` are ``studio.models.rep.RepConv``'s."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from studio.models.rep import RepConv


def _conv_bn(c1: int, c2: int, k: int, s: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict([("conv", nn.Conv2d(c1, c2, k, s, k // 2, bias=False)),
                                      ("bn", nn.BatchNorm2d(c2))]))


class RepVGGBlock(RepConv):
    """ReLU(3x3 conv+BN + 1x1 conv+BN + BN(x) when c1 == c2 and s == 1) while training; one 3x3 conv with
    bias + ReLU after ``fuse()``. (B, c1, H, W) -> (B, c2, H / s, W / s)."""

    def __init__(self, c1: int, c2: int, s: int = 1) -> None:
        super().__init__(c1, c2, s, act="relu")
        self.rbr_dense = _conv_bn(c1, c2, 3, s)
        self.rbr_1x1 = _conv_bn(c1, c2, 1, s)
        self.rbr_identity = nn.BatchNorm2d(c1) if c1 == c2 and s == 1 else None
