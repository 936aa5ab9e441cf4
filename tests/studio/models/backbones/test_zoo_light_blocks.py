"""Blocks of the light zoo entries: channel shuffle, the ShuffleNet units, Ghost module / bottleneck and its
SE, the two-way dense layer, EESP and the RepVGG block."""

from __future__ import annotations

import torch

from studio.models.blocks.channel_shuffle import ChannelShuffle, channel_shuffle
from studio.models.blocks.eesp import EESP, DownSampler
from studio.models.blocks.ghost import GhostBottleneck, GhostModule, GhostSqueezeExcite, timm_make_divisible
from studio.models.blocks.pelee_blocks import StemBlock, TwoWayDenseLayer
from studio.models.blocks.repvgg_block import RepVGGBlock
from studio.models.blocks.shuffle_units import InvertedResidual, ShuffleV1Block


def _channels(n: int) -> torch.Tensor:
    return torch.arange(float(n)).reshape(1, n, 1, 1)


def test_channel_shuffle_interleaves_the_groups_as_the_paper_says():
    # 3 groups of 2 channels (a0 a1 | b0 b1 | c0 c1) -> a0 b0 c0 a1 b1 c1
    out = channel_shuffle(_channels(6), 3).flatten().tolist()
    assert out == [0, 2, 4, 1, 3, 5]
    assert ChannelShuffle(2)(_channels(6)).flatten().tolist() == [0, 3, 1, 4, 2, 5]


def test_channel_shuffle_by_g_then_by_c_over_g_is_the_identity():
    x = torch.randn(2, 12, 3, 5)
    assert torch.equal(channel_shuffle(channel_shuffle(x, 3), 4), x)


def test_shufflenet_v1_unit_shapes_and_the_reference_shuffle():
    down = ShuffleV1Block(24, 240, group=3, first_group=True, mid=60, stride=2)
    assert down(torch.randn(1, 24, 8, 8)).shape == (1, 240, 4, 4)
    assert down.branch_main_1[0].groups == 1 and down.branch_main_2[0].groups == 3
    unit = ShuffleV1Block(240, 240, group=3, first_group=False, mid=60, stride=1)
    assert unit(torch.randn(1, 240, 4, 4)).shape == (1, 240, 4, 4)
    # the reference reshapes to (C / g, g) and transposes: channel_shuffle with C // g groups
    x = _channels(6)
    ref = x.reshape(1, 2, 3, 1, 1).permute(0, 2, 1, 3, 4).reshape(1, 6, 1, 1)
    assert torch.equal(channel_shuffle(x, 6 // 3), ref)


def test_shufflenet_v2_unit_keeps_the_first_half_at_stride_one():
    unit = InvertedResidual(8, 8, 1).eval()
    x = torch.randn(1, 8, 4, 4)
    y = unit(x)
    assert torch.equal(y[:, 0::2], x[:, :4])  # shuffled with 2 groups: the untouched half on even channels
    assert InvertedResidual(8, 16, 2)(x).shape == (1, 16, 2, 2)


def test_ghost_module_makes_half_intrinsic_half_ghost_maps_and_cuts_to_size():
    m = GhostModule(16, 15)
    assert m.primary_conv[0].out_channels == 8 and m.cheap_operation[0].groups == 8
    assert m(torch.randn(1, 16, 4, 4)).shape == (1, 15, 4, 4)


def test_ghost_bottleneck_identity_shortcut_and_strided_shape():
    same = GhostBottleneck(16, 32, 16).eval()
    assert len(same.shortcut) == 0 and same.conv_dw is None
    down = GhostBottleneck(16, 48, 24, k=3, stride=2, se_ratio=0.25)
    assert down(torch.randn(1, 16, 8, 8)).shape == (1, 24, 4, 4)


def test_ghost_se_has_timm_names_and_rounding():
    se = GhostSqueezeExcite(72, 0.25)
    assert set(se.state_dict()) == {"conv_reduce.weight", "conv_reduce.bias", "conv_expand.weight",
                                    "conv_expand.bias"}
    assert se.conv_reduce.out_channels == 20 == timm_make_divisible(18, 4)
    with torch.no_grad():
        se.conv_expand.weight.zero_()
        se.conv_expand.bias.fill_(3.0)  # hard sigmoid(3) == 1: the gate passes x unchanged
    x = torch.randn(1, 72, 3, 3)
    assert torch.allclose(se(x), x)


def test_pelee_stem_and_two_way_dense_layer():
    assert StemBlock(3, 32)(torch.randn(1, 3, 32, 32)).shape == (1, 32, 8, 8)
    layer = TwoWayDenseLayer(32, 32, 1)
    assert layer.branch1a.conv.out_channels == 16  # int(16 * 1 / 4) * 4
    x = torch.randn(1, 32, 4, 4)
    y = layer(x)
    assert y.shape == (1, 64, 4, 4) and torch.equal(y[:, :32], x)


def test_eesp_branches_fuse_hierarchically_and_downsampler_adds_the_image():
    eesp = EESP(32, 32, 1, k=4, r_lim=7)
    assert [m.conv.dilation[0] for m in eesp.spp_dw] == [1, 1, 2, 3]  # receptive fields 3, 3, 5, 7
    assert eesp(torch.randn(1, 32, 8, 8)).shape == (1, 32, 8, 8)
    down = DownSampler(32, 128, k=4, r_lim=13)
    assert down(torch.randn(1, 32, 8, 8), torch.randn(1, 3, 4, 4)).shape == (1, 128, 4, 4)
    assert DownSampler(32, 64, reinf=False).inp_reinf is None


def test_repvgg_block_fuses_to_one_conv_with_the_same_output():
    torch.manual_seed(0)
    block = RepVGGBlock(8, 8).eval()
    for bn in (block.rbr_dense.bn, block.rbr_1x1.bn, block.rbr_identity):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
    x = torch.randn(2, 8, 6, 6)
    with torch.no_grad():
        before = block(x)
        block.fuse()
        after = block(x)
    assert set(block.state_dict()) == {"rbr_reparam.weight", "rbr_reparam.bias"}
    assert torch.allclose(after, before, atol=1e-5)
