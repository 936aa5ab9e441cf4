"""EfficientNet-B0..B3 and EfficientNetV2-S zoo entries: published parameter counts, the feature contract,
torchvision state-dict names, Fused-MBConv and stochastic depth."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.efficientnet import (
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnetv2_s,
)
from studio.models.blocks.fused_mbconv import FusedMBConv
from studio.models.blocks.stochastic_depth import StochasticDepth, stochastic_depth
from studio.models.classify import classifier_on_meta, count_parameters, feature_problems

BUILDERS = {
    "efficientnet_b0": efficientnet_b0,
    "efficientnet_b1": efficientnet_b1,
    "efficientnet_b2": efficientnet_b2,
    "efficientnet_b3": efficientnet_b3,
    "efficientnetv2_s": efficientnetv2_s,
}
# published classifier parameters, millions
PUBLISHED = {
    "efficientnet_b0": (5.288548, "torchvision"),
    "efficientnet_b1": (7.794184, "torchvision"),
    "efficientnet_b2": (9.109994, "torchvision"),
    "efficientnet_b3": (12.233232, "torchvision"),
    "efficientnetv2_s": (21.458488, "torchvision efficientnet_v2_s"),
}
STRIDE_32_CHANNELS = {"efficientnet_b0": 320, "efficientnet_b1": 320, "efficientnet_b2": 352,
                      "efficientnet_b3": 384, "efficientnetv2_s": 256}
# a few torchvision state-dict keys per entry: trunk keys, then classifier() keys
KNOWN_KEYS = {
    "efficientnet_b0": (["features.0.0.weight", "features.1.0.block.0.0.weight",
                         "features.1.0.block.1.fc1.weight", "features.1.0.block.2.1.running_var",
                         "features.2.1.block.2.fc2.bias",
                         "features.7.0.block.3.0.weight"], ["features.8.0.weight", "classifier.1.weight"]),
    "efficientnet_b3": (["features.7.1.block.3.1.weight"], ["features.8.1.bias", "classifier.1.bias"]),
    "efficientnetv2_s": (["features.1.1.block.0.0.weight", "features.2.0.block.1.1.weight",
                          "features.4.0.block.2.fc1.weight", "features.6.14.block.3.0.weight"],
                         ["features.7.0.weight", "classifier.1.weight"]),
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
    assert backbone.out_channels[32] == STRIDE_32_CHANNELS[name]
    assert backbone.act == "silu"


@pytest.mark.parametrize("name", sorted(KNOWN_KEYS))
def test_state_dict_names(name: str) -> None:
    with torch.device("meta"):
        backbone = BUILDERS[name]()
        head = backbone.classifier()
    trunk_keys, head_keys = KNOWN_KEYS[name]
    assert set(trunk_keys) <= set(backbone.state_dict())
    assert set(head_keys) <= set(head.state_dict())


def test_stochastic_depth_grows_linearly_over_the_blocks() -> None:
    with torch.device("meta"):
        backbone = efficientnet_b0()
    probs = [m.p for m in backbone.modules() if isinstance(m, StochasticDepth)]
    assert len(probs) == 16 and probs[0] == 0.0
    assert probs[-1] == pytest.approx(0.2 * 15 / 16)


def test_stochastic_depth_drops_whole_samples_and_rescales() -> None:
    torch.manual_seed(0)
    x = torch.ones(64, 3, 2, 2)
    y = stochastic_depth(x, 0.5, "row", training=True)
    per_sample = y.flatten(1)
    assert set(per_sample.unique().tolist()) <= {0.0, 2.0}
    assert torch.all(per_sample == per_sample[:, :1])  # one draw per sample
    assert 0 < int((per_sample[:, 0] == 0).sum()) < 64
    assert torch.equal(stochastic_depth(x, 0.5, "row", training=False), x)
    assert torch.equal(stochastic_depth(x, 1.0, "batch", training=True), torch.zeros_like(x))


def test_fused_mbconv_layouts() -> None:
    expand = FusedMBConv(24, 48, 3, 2, expanded=96)
    assert [m[0].weight.shape for m in expand.block] == [(96, 24, 3, 3), (48, 96, 1, 1)]
    plain = FusedMBConv(24, 24, 3, 1, expanded=24).eval()
    assert len(plain.block) == 1 and plain.use_res_connect
    x = torch.rand(1, 24, 8, 8)
    with torch.no_grad():
        assert torch.allclose(plain(x), plain.block(x) + x)
        assert expand(x).shape == (1, 48, 4, 4)
