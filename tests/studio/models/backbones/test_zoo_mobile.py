"""MobileNet-V1/V2/V3 and MnasNet zoo entries: published parameter counts, the feature contract,
torchvision / timm state-dict names, and their blocks."""

from __future__ import annotations

import torch

from studio.models.blocks.depthwise_separable import DepthwiseSeparable
from studio.models.blocks.inverted_residual import InvertedResidual, MBConv, make_divisible


def test_make_divisible_matches_torchvision() -> None:
    assert make_divisible(32 * 1.1) == 32  # 35.2 -> 32 (within 10%)
    assert make_divisible(40 * 1.1) == 48  # 44 -> 48 (rounds half up)
    assert make_divisible(1280 * 1.1) == 1408
    assert make_divisible(10) == 16  # 8 would be more than 10% below 10
    assert make_divisible(72 // 4, 8) == 24


def test_depthwise_separable_is_depthwise_then_pointwise() -> None:
    block = DepthwiseSeparable(8, 16, 2)
    assert block.conv_dw.groups == 8 and block.conv_dw.weight.shape == (8, 1, 3, 3)
    assert block.conv_pw.weight.shape == (16, 8, 1, 1)
    assert block(torch.rand(2, 8, 16, 16)).shape == (2, 16, 8, 8)


def test_inverted_residual_adds_the_input_only_when_the_shape_is_kept() -> None:
    keep, change = InvertedResidual(16, 16, 1, 6).eval(), InvertedResidual(16, 24, 2, 6).eval()
    x = torch.rand(1, 16, 8, 8)
    with torch.no_grad():
        assert torch.allclose(keep(x), x + keep.conv(x))
        assert change(x).shape == (1, 24, 4, 4)
    assert keep.conv[0][0].weight.shape == (96, 16, 1, 1)  # expansion 6
    assert len(InvertedResidual(32, 16, 1, 1).conv) == 3  # expansion 1: no expansion conv


def test_mbconv_with_zeroed_projection_is_the_identity() -> None:
    block = MBConv(24, 24, 5, 1, expanded=72, se_squeeze=24, act=torch.nn.Hardswish,
                   se_act=torch.nn.ReLU, se_gate=torch.nn.Hardsigmoid).eval()
    torch.nn.init.zeros_(block.block[-1][1].weight)  # projection BN scale 0: the branch outputs zero
    x = torch.rand(1, 24, 8, 8)
    with torch.no_grad():
        assert torch.equal(block(x), x)
    assert [type(m).__name__ for m in block.block] == ["ConvNormAct", "ConvNormAct", "SqueezeExcitation",
                                                       "ConvNormAct"]
