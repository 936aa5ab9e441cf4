"""Shared blocks: BN folding and RepVGG re-parameterisation keep eval-mode outputs; shapes of the blocks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from studio.errors import ConfigError
from studio.models.layers import ELAN, SPPF, Conv, MPDown, SeparableConv, activation, fold_bn_tensors
from studio.models.rep import CSPRepBlock, RepBlock, RepConv


def randomize_bn(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random affine parameters and running statistics in every BatchNorm, then eval mode."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.5)
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
    return model.eval()


def fused_copy_matches(block: nn.Module, x: torch.Tensor, atol: float = 1e-5) -> nn.Module:
    randomize_bn(block)
    with torch.no_grad():
        before = block(x)
        for m in list(block.modules()):
            if callable(getattr(m, "fuse", None)):
                m.fuse()
        after = block(x)
    torch.testing.assert_close(after, before, atol=atol, rtol=1e-5)
    return block


def test_fold_bn_tensors_equals_conv_then_batch_norm():
    torch.manual_seed(0)
    conv, bn = nn.Conv2d(3, 5, 3, padding=1, bias=True), nn.BatchNorm2d(5)
    randomize_bn(bn, seed=1)
    x = torch.randn(2, 3, 6, 7)
    weight, bias = fold_bn_tensors(conv.weight, conv.bias, bn)
    expected = F.batch_norm(conv(x), bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)
    torch.testing.assert_close(F.conv2d(x, weight, bias, padding=1), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("k", "s", "g"), [(1, 1, 1), (3, 1, 1), (3, 2, 1), (3, 1, 8)])
def test_conv_fuse_keeps_output_and_is_idempotent(k, s, g):
    block = fused_copy_matches(Conv(8, 16, k, s, g), torch.randn(2, 8, 9, 10))
    assert isinstance(block.bn, nn.Identity) and block.conv.bias is not None
    conv = block.conv
    block.fuse()
    assert block.conv is conv  # a second fuse changes nothing


@pytest.mark.parametrize(("c1", "c2", "s", "identity"), [(8, 8, 1, True), (8, 16, 1, False),
                                                         (8, 8, 2, False), (3, 8, 2, False)])
def test_repconv_fuse_is_one_3x3_conv_with_the_same_output(c1, c2, s, identity):
    block = RepConv(c1, c2, s)
    assert (block.rbr_identity is not None) == identity
    fused_copy_matches(block, torch.randn(2, c1, 12, 10))
    assert block.rbr_dense is None and block.rbr_1x1 is None and block.rbr_identity is None
    assert block.rbr_reparam.kernel_size == (3, 3) and block.rbr_reparam.stride == (s, s)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in block.modules())
    assert block(torch.zeros(1, c1, 8, 8)).shape == (1, c2, 8 // s, 8 // s)
    reparam = block.rbr_reparam
    block.fuse()
    assert block.rbr_reparam is reparam


def test_repconv_trains_through_all_branches():
    block = RepConv(4, 4, act="relu").train()
    block(torch.randn(2, 4, 5, 5)).sum().backward()
    assert all(p.grad is not None for p in block.parameters())


@pytest.mark.parametrize("make", [
    lambda: ELAN(16, 24, n=3), lambda: SPPF(16, 24), lambda: SeparableConv(16, 24),
    lambda: RepBlock(16, 24, n=2), lambda: CSPRepBlock(16, 24, n=2), lambda: MPDown(16, 24),
])
def test_blocks_fuse_to_the_same_output(make):
    block = make()
    x = torch.randn(2, 16, 8, 12)
    stride = 2 if isinstance(block, MPDown) else 1
    assert block.eval()(x).shape == (2, 24, 8 // stride, 12 // stride)
    fused_copy_matches(block, x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in block.modules())


def test_unknown_activation_lists_the_choices():
    with pytest.raises(ConfigError, match="silu, relu, none"):
        activation("gelu")
