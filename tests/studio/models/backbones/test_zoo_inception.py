"""The valid-padded zoo entries (Inception-v3, Inception-ResNet-v2, Xception): published parameter counts,
the feature contract (exact H / s maps once padded, also for odd stride-32 grids and non-square inputs),
the classifier's logits, published key names, and their blocks."""

from __future__ import annotations

import torch

from studio.models.blocks.basic_conv import BasicConv2d
from studio.models.blocks.inception_modules import InceptionA, InceptionB, InceptionD
from studio.models.blocks.inception_resnet_modules import Block8, Block35
from studio.models.blocks.xception_block import XceptionBlock


def test_basic_conv_same_padding_keeps_size_for_factorised_kernels():
    conv = BasicConv2d(4, 6, (1, 7), p=None)
    assert conv.conv.padding == (0, 3) and conv(torch.randn(1, 4, 5, 9)).shape == (1, 6, 5, 9)


def test_inception_modules_widths_and_exact_halving():
    x = torch.randn(1, 192, 10, 10)
    assert InceptionA(192, pool_features=32)(x).shape == (1, 256, 10, 10)
    assert InceptionB(192)(x).shape == (1, 192 + 480, 5, 5)
    assert InceptionD(192)(x).shape == (1, 192 + 512, 5, 5)


def test_residual_inception_blocks_reduce_to_their_shortcut_at_scale_zero():
    x = torch.randn(1, 320, 4, 4)
    with torch.no_grad():
        assert torch.equal(Block35(scale=0.0).eval()(x), torch.relu(x))
        y = torch.randn(1, 2080, 2, 2)
        assert torch.equal(Block8(scale=0.0, no_relu=True).eval()(y), y)


def test_xception_block_with_silenced_residual_branch_passes_its_input():
    block = XceptionBlock(16, 16, 3).eval()
    for m in block.rep:
        if isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.zeros_(m.weight)
    x = torch.randn(1, 16, 6, 6)
    with torch.no_grad():
        assert torch.equal(block(x), x)
    down = XceptionBlock(16, 32, 2, 2, grow_first=False)
    assert down(x).shape == (1, 32, 3, 3) and down.rep[1].pointwise.out_channels == 16
