"""The valid-padded zoo entries (Inception-v3, Inception-ResNet-v2, Xception): published parameter counts,
the feature contract (exact H / s maps once padded, also for odd stride-32 grids and non-square inputs),
the classifier's logits, published key names, and their blocks."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.inception import inception_v3
from studio.models.backbones.inception_resnet import inception_resnet_v2
from studio.models.backbones.xception import xception
from studio.models.blocks.basic_conv import BasicConv2d
from studio.models.blocks.inception_modules import InceptionA, InceptionB, InceptionD
from studio.models.blocks.inception_resnet_modules import Block8, Block35
from studio.models.blocks.xception_block import XceptionBlock
from studio.models.classify import classifier_on_meta, count_parameters, feature_problems

BUILDS = {f.__name__: f for f in (inception_v3, inception_resnet_v2, xception)}

# Published classifier parameter counts in millions, and where they come from.
PUBLISHED = {
    # torchvision inception_v3 has 27,161,264 with the auxiliary head; AuxLogits holds 3,326,696.
    "inception_v3": (23.834568, "torchvision inception_v3 without AuxLogits"),
    "inception_resnet_v2": (55.843464, "timm inception_resnet_v2"),
    "xception": (22.855952, "timm legacy xception"),
}

# Keys of the published state dicts (torchvision / timm) that must appear: (in the trunk, in the head).
KEYS = {
    "inception_v3": ({"Conv2d_1a_3x3.conv.weight", "Mixed_6e.branch7x7dbl_5.bn.running_var",
                      "Mixed_7c.branch3x3dbl_3b.conv.weight"}, {"fc.weight", "fc.bias"}),
    "inception_resnet_v2": ({"conv2d_1a.conv.weight", "mixed_5b.branch3.1.conv.weight",
                             "repeat.9.conv2d.bias", "repeat_1.19.branch1.2.bn.weight",
                             "repeat_2.8.branch0.conv.weight", "block8.conv2d.weight",
                             "conv2d_7b.bn.running_mean"}, {"classif.weight", "classif.bias"}),
    "xception": ({"conv1.weight", "bn2.running_var", "block1.rep.0.conv1.weight",
                  "block2.rep.1.pointwise.weight", "block12.rep.5.weight", "block12.skipbn.bias",
                  "conv4.pointwise.weight", "bn4.weight"},
                 {"fc.weight", "fc.bias"}),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_classifier_parameter_count(name):
    published, _source = PUBLISHED[name]
    measured = count_parameters(classifier_on_meta(BUILDS[name])) / 1e6
    assert abs(measured - published) / published < 0.02, (name, measured, published)


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_padded_features_follow_the_zoo_contract(name):
    torch.manual_seed(0)
    backbone = BUILDS[name]().eval()
    assert feature_problems(backbone, 64) == []
    with torch.no_grad():  # odd grids at every stride, non-square
        feats = backbone(torch.rand(1, 3, 96, 160))
    sizes = {s: tuple(f.shape[2:]) for s, f in feats.items()}
    assert sizes == {s: (96 // s, 160 // s) for s in (4, 8, 16, 32)}


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_classifier_gives_logits_and_published_keys(name):
    model = classifier_on_meta(BUILDS[name])
    assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    assert model.backbone.act == "relu"
    trunk, head = set(model.backbone.state_dict()), set(model.head.state_dict())
    want_trunk, want_head = KEYS[name]
    assert want_trunk <= trunk and want_head <= head and not trunk & head
    assert not any(k.startswith("AuxLogits") for k in trunk)


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
