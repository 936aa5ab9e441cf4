"""The classic zoo entries (VGG-16, DenseNet-121, DPN-68, Darknet-19/53, CSPDarknet-53): published
parameter counts, the feature contract, the classifier's logits, published key names, and their blocks."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.darknet import cspdarknet53, darknet19, darknet53
from studio.models.backbones.densenet import densenet121
from studio.models.backbones.dpn import dpn68
from studio.models.backbones.vgg import VGG, vgg16
from studio.models.blocks.dark_blocks import CrossStage, DarkBlock
from studio.models.blocks.dense_layer import DenseBlock
from studio.models.blocks.dual_path import DualPathBlock
from studio.models.classify import classifier_on_meta, count_parameters, feature_problems

BUILDS = {f.__name__: f for f in (vgg16, densenet121, dpn68, darknet19, darknet53, cspdarknet53)}

# Published classifier parameter counts in millions, and where they come from.
PUBLISHED = {
    "vgg16": (138.357544, "torchvision vgg16"),
    "densenet121": (7.978856, "torchvision densenet121"),
    "dpn68": (12.611602, "timm dpn68 (paper, Chen et al. 2017, Table 2: 12.61 M)"),
    # YOLO9000 (Redmon & Farhadi 2017) Table 6 summed by hand: conv weights + BN scale/shift of the
    # 18 conv layers (20,817,376) + the 1x1 conv to 1000 classes with bias (1,025,000).
    "darknet19": (20.842376, "paper: YOLO9000 Table 6, computed"),
    "darknet53": (41.609928, "timm darknet53"),
    "cspdarknet53": (27.642184, "timm cspdarknet53"),
}

# Keys of the published state dicts (torchvision / timm) that must appear: (in the trunk, in the head).
KEYS = {
    "vgg16": ({"features.0.weight", "features.28.bias"}, {"classifier.0.weight", "classifier.6.bias"}),
    "densenet121": ({"features.conv0.weight", "features.denseblock4.denselayer16.conv2.weight",
                     "features.transition3.norm.running_var"},
                    {"features.norm5.weight", "classifier.weight"}),
    "dpn68": ({"features.conv1_1.conv.weight", "features.conv2_1.c1x1_w_s1.bn.weight",
               "features.conv5_1.c1x1_w_s2.conv.weight", "features.conv5_3.c1x1_c.conv.weight"},
              {"features.conv5_bn_ac.bn.weight", "classifier.weight", "classifier.bias"}),
    "darknet19": ({"stem.conv1.conv.weight", "stages.4.conv5.bn.weight"}, {"head.fc.weight", "head.fc.bias"}),
    "darknet53": ({"stem.conv1.conv.weight", "stages.4.conv_down.conv.weight",
                   "stages.2.blocks.7.conv2.bn.running_mean"}, {"head.fc.weight"}),
    "cspdarknet53": ({"stages.0.conv_exp.conv.weight", "stages.3.conv_transition_b.bn.weight",
                      "stages.4.conv_transition.conv.weight", "stages.1.blocks.1.conv1.conv.weight"},
                     {"head.fc.weight"}),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_classifier_parameter_count(name):
    published, _source = PUBLISHED[name]
    measured = count_parameters(classifier_on_meta(BUILDS[name])) / 1e6
    assert abs(measured - published) / published < 0.02, (name, measured, published)


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_features_follow_the_zoo_contract(name):
    torch.manual_seed(0)
    assert feature_problems(BUILDS[name](), 64) == []


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_classifier_gives_logits_and_published_keys(name):
    model = classifier_on_meta(BUILDS[name])
    assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    assert model.backbone.act in ("relu", "silu")
    trunk, head = set(model.backbone.state_dict()), set(model.head.state_dict())
    want_trunk, want_head = KEYS[name]
    assert want_trunk <= trunk and want_head <= head and not trunk & head


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
