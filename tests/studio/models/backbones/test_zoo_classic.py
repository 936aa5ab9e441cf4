"""The classic zoo entries (VGG-16, DenseNet-121, DPN-68, Darknet-19/53, CSPDarknet-53): published
parameter counts, the feature contract, the classifier's logits, published key names, and their blocks."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.darknet import darknet53
from studio.models.backbones.vgg import VGG, vgg16
from studio.models.blocks.dark_blocks import CrossStage, DarkBlock
from studio.models.blocks.dense_layer import DenseBlock
from studio.models.blocks.dual_path import DualPathBlock


def test_vgg_taps_the_pools_and_rejects_layouts_without_five():
    assert vgg16().out_channels == {4: 128, 8: 256, 16: 512, 32: 512}
    with pytest.raises(ValueError, match="5 max pools"):
        VGG((64, "M", 128, "M"))


def test_dense_block_concatenates_its_input_unchanged():
    block = DenseBlock(3, 16, growth=8, bn_size=2).eval()
    x = torch.randn(2, 16, 8, 8)
    y = block(x)
    assert y.shape == (2, 16 + 3 * 8, 8, 8) and block.out_channels == 40
    assert torch.equal(y[:, :16], x)


def test_dual_path_block_adds_the_residual_path_and_extends_the_dense_path():
    first = DualPathBlock(10, 16, 16, 32, inc=8, groups=4, kind="proj").eval()
    block = DualPathBlock(32 + 3 * 8, 16, 16, 32, inc=8, groups=4).eval()
    with torch.no_grad():
        res, dense = first(torch.randn(1, 10, 8, 8))
        assert res.shape == (1, 32, 8, 8) and dense.shape == (1, 24, 8, 8)
        res2, dense2 = block((res, dense))
        y = block.c1x1_c(block.c3x3_b(block.c1x1_a(torch.cat([res, dense], 1))))
    assert torch.allclose(res2, res + y[:, :32]) and torch.equal(dense2[:, :24], dense)
    assert dense2.shape == (1, 32, 8, 8)
    down = DualPathBlock(64, 16, 16, 64, inc=8, groups=4, kind="down")
    assert [t.shape[-1] for t in down((res2, dense2))] == [4, 4]


def test_zero_initialised_dark_blocks_start_as_identities():
    model = darknet53().eval()
    block = model.stages[1].blocks[0]
    assert isinstance(block, DarkBlock)
    x = torch.randn(1, 128, 4, 4)
    with torch.no_grad():
        assert torch.equal(block(x), x)


def test_cross_stage_splits_in_halves_and_checks_widths():
    stage = CrossStage(32, 64, 1, torch.nn.ReLU, expand_ratio=2.0, bottle_ratio=0.5, block_ratio=1.0)
    assert stage(torch.randn(1, 32, 16, 16)).shape == (1, 64, 8, 8) and stage.expand_chs == 128
    with pytest.raises(ValueError, match="width"):
        CrossStage(32, 64, 1, torch.nn.ReLU, expand_ratio=1.0, block_ratio=1.0)
