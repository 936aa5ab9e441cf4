"""MobileNet-V1/V2/V3 and MnasNet zoo entries: published parameter counts, the feature contract,
torchvision / timm state-dict names, and their blocks."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.mnasnet import mnasnet1_0
from studio.models.backbones.mobilenet import mobilenet_v1, mobilenet_v2
from studio.models.backbones.mobilenet_v3 import mobilenet_v3_large, mobilenet_v3_small
from studio.models.blocks.depthwise_separable import DepthwiseSeparable
from studio.models.blocks.inverted_residual import InvertedResidual, MBConv, make_divisible
from studio.models.classify import classifier_on_meta, count_parameters, feature_problems

BUILDERS = {
    "mobilenet_v1": mobilenet_v1,
    "mobilenet_v2": mobilenet_v2,
    "mobilenet_v3_large": mobilenet_v3_large,
    "mobilenet_v3_small": mobilenet_v3_small,
    "mnasnet1_0": mnasnet1_0,
}
# published classifier parameters, millions
PUBLISHED = {
    "mobilenet_v1": (4.23, "timm mobilenetv1_100; paper (Howard et al. 2017) Table 8: 4.2 M"),
    "mobilenet_v2": (3.504872, "torchvision"),
    "mobilenet_v3_large": (5.483032, "torchvision"),
    "mobilenet_v3_small": (2.542856, "torchvision"),
    "mnasnet1_0": (4.383312, "torchvision"),
}
# a few torchvision (timm for V1) state-dict keys per entry: trunk keys, then classifier() keys
KNOWN_KEYS = {
    "mobilenet_v1": (["conv_stem.weight", "bn1.running_var", "blocks.0.0.conv_dw.weight",
                      "blocks.3.5.conv_pw.weight", "blocks.4.1.bn2.bias"], ["classifier.weight"]),
    "mobilenet_v2": (["features.0.0.weight", "features.1.conv.0.0.weight", "features.1.conv.1.weight",
                      "features.2.conv.0.1.running_mean", "features.17.conv.2.weight",
                      "features.17.conv.3.bias"],
                     ["features.18.0.weight", "features.18.1.weight", "classifier.1.weight"]),
    "mobilenet_v3_large": (["features.0.0.weight", "features.1.block.1.0.weight",
                            "features.4.block.2.fc1.weight", "features.15.block.3.1.running_var"],
                           ["features.16.0.weight", "classifier.0.weight", "classifier.3.bias"]),
    "mobilenet_v3_small": (["features.1.block.1.fc2.bias", "features.11.block.3.0.weight"],
                           ["features.12.1.weight", "classifier.0.weight", "classifier.3.weight"]),
    "mnasnet1_0": (["layers.0.weight", "layers.4.running_mean", "layers.7.bias", "layers.8.0.layers.0.weight",
                    "layers.13.0.layers.7.weight"],
                   ["layers.14.weight", "layers.15.bias", "classifier.1.weight"]),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_published_parameter_count_and_meta_forward(name: str) -> None:
    model = classifier_on_meta(BUILDERS[name])
    published, _source = PUBLISHED[name]
    assert count_parameters(model) / 1e6 == pytest.approx(published, rel=0.02)
    assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_feature_contract(name: str) -> None:
    backbone = BUILDERS[name]()
    assert feature_problems(backbone, 64) == []
    assert backbone.act == "relu" if name in ("mobilenet_v1", "mobilenet_v2", "mnasnet1_0") else "silu"


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_state_dict_names(name: str) -> None:
    with torch.device("meta"):
        backbone = BUILDERS[name]()
        head = backbone.classifier()
    trunk_keys, head_keys = KNOWN_KEYS[name]
    assert set(trunk_keys) <= set(backbone.state_dict())
    assert set(head_keys) <= set(head.state_dict())
    assert not set(backbone.state_dict()) & set(head.state_dict())


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
