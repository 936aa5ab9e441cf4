"""The ResNet variants of the zoo (Res2Net-50 26w4s, ResNeSt-50, SKNet-50): published parameter counts,
the feature contract, the classifier's logits, timm key names, and their blocks (hierarchical Res2Net
groups, split attention, selective kernels)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from studio.models.backbones.res2net import Bottle2neck, Res2NetLayout, res2net50_26w_4s
from studio.models.backbones.resnest import resnest50
from studio.models.backbones.resnet import ResNet
from studio.models.backbones.sknet import sknet50
from studio.models.blocks import selective_kernel, split_attention
from studio.models.blocks.selective_kernel import SelectiveKernel
from studio.models.blocks.split_attention import RadixSoftmax, SplitAttention


@pytest.mark.parametrize("build", [res2net50_26w_4s, resnest50, sknet50])
def test_the_variants_are_the_one_shared_resnet_trunk(build):
    with torch.device("meta"):
        backbone = build()
    assert isinstance(backbone, ResNet) and backbone.out_channels == {4: 256, 8: 512, 16: 1024, 32: 2048}


def _randomise_bn(module: torch.nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(m.weight, 0.5, 1.5)
            torch.nn.init.uniform_(m.bias, -0.2, 0.2)


def test_res2net_block_chains_its_groups_as_eq_1():
    torch.manual_seed(0)
    block = Bottle2neck(64, 16, 1, None, Res2NetLayout()).eval()  # width floor(16 * 26 / 64) = 6, 4 groups
    _randomise_bn(block)
    x = torch.randn(1, 64, 8, 8)
    with torch.no_grad():
        xs = torch.split(F.relu(block.bn1(block.conv1(x))), 6, 1)
        y1 = F.relu(block.bns[0](block.convs[0](xs[0])))
        y2 = F.relu(block.bns[1](block.convs[1](xs[1] + y1)))
        y3 = F.relu(block.bns[2](block.convs[2](xs[2] + y2)))
        want = F.relu(block.bn3(block.conv3(torch.cat([y1, y2, y3, xs[3]], 1))) + x)
        assert torch.allclose(block(x), want, atol=1e-5)
    first = Bottle2neck(64, 16, 2, torch.nn.Conv2d(64, 64, 1, 2), Res2NetLayout())
    assert first.is_first and first(torch.randn(1, 64, 8, 8)).shape == (1, 64, 4, 4)


def test_split_attention_with_radix_1_is_se_gating_on_the_conv_output():
    torch.manual_seed(0)
    sa = SplitAttention(16, 16, radix=1).eval()
    _randomise_bn(sa)
    x = torch.randn(2, 16, 6, 6)
    with torch.no_grad():
        u = F.relu(sa.bn0(sa.conv(x)))
        gate = torch.sigmoid(sa.fc2(F.relu(sa.bn1(sa.fc1(u.mean((2, 3), keepdim=True))))))
        assert torch.allclose(sa(x), u * gate, atol=1e-6)


def test_split_attention_with_flat_logits_averages_the_splits():
    sa = SplitAttention(8, 8, radix=2, groups=2).eval()
    torch.nn.init.zeros_(sa.fc2.weight)
    torch.nn.init.zeros_(sa.fc2.bias)
    x = torch.randn(1, 8, 5, 5)
    with torch.no_grad():
        u = F.relu(sa.bn0(sa.conv(x)))
        assert torch.allclose(sa(x), (u[:, :8] + u[:, 8:]) / 2, atol=1e-6)


def test_radix_softmax_normalises_across_the_radix_in_the_convs_order():
    rs = RadixSoftmax(radix=3, cardinality=2)
    logits = torch.randn(1, 2 * 3 * 4, 1, 1)  # fc2's order: (cardinal group, radix, channel)
    w = rs(logits).view(1, 3, 2, 4)  # the conv's order: (radix, cardinal group, channel)
    want = torch.softmax(logits.view(1, 2, 3, 4), dim=2).transpose(1, 2)
    assert torch.allclose(w, want) and torch.allclose(w.sum(1), torch.ones(1, 2, 4))


def test_attention_widths_follow_the_papers():
    # ResNeSt: max(C * radix / 4, 32); SKNet: d = max(C / r, L) with r = 16, L = 32.
    assert [split_attention.attention_width(c, 2) for c in (64, 128, 256, 512)] == [32, 64, 128, 256]
    assert [selective_kernel.attention_width(c) for c in (128, 256, 512, 1024)] == [32, 32, 32, 64]


def test_selective_kernel_weights_are_a_softmax_over_the_branches():
    torch.manual_seed(0)
    sk = SelectiveKernel(32, 32, groups=4).eval()
    _randomise_bn(sk)
    x = torch.randn(2, 32, 7, 7)
    with torch.no_grad():
        branches = torch.stack([p(x) for p in sk.paths], 1)
        weights = sk.attn(branches)
        assert weights.shape == (2, 2, 32, 1, 1) and torch.allclose(weights.sum(1), torch.ones(2, 32, 1, 1))
        assert torch.allclose(sk(x), (branches * weights).sum(1), atol=1e-6)
        torch.nn.init.zeros_(sk.attn.fc_select.weight)
        assert torch.allclose(sk(x), branches.mean(1), atol=1e-6)
    assert sk.paths[1].conv.dilation == (2, 2) and SelectiveKernel(32, 64, stride=2)(x).shape == (2, 64, 4, 4)


def test_resnest_strided_blocks_pool_after_a_stride_1_split_attention():
    block = resnest50().layer2[0]
    assert block.conv2.conv.stride == (1, 1) and block.avd_last.stride == 2 and block.avd_first is None
    assert resnest50().layer1[0].avd_last is None
