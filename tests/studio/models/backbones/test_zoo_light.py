"""The light zoo entries (ShuffleNet v1/v2, SqueezeNet 1.1, GhostNet, PeleeNet, ESPNetv2, RepVGG-A0):
published parameter counts, the feature contract, the classifier's logits and the published key names."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.espnetv2 import espnetv2
from studio.models.backbones.ghostnet import ghostnet_1_0
from studio.models.backbones.peleenet import peleenet
from studio.models.backbones.repvgg_zoo import repvgg_a0
from studio.models.backbones.shufflenet import shufflenet_v1_g3, shufflenet_v2_x1_0
from studio.models.backbones.squeezenet import squeezenet1_1
from studio.models.classify import classifier_on_meta, count_parameters, feature_problems

BUILDS = {f.__name__: f for f in (shufflenet_v1_g3, shufflenet_v2_x1_0, squeezenet1_1, ghostnet_1_0, peleenet,
                                  espnetv2, repvgg_a0)}

# Published classifier parameter counts in millions, and where they come from. RepVGG's is the deploy
# form, counted after ``fuse()``.
PUBLISHED = {
    # Table 1 layout computed gives 1.864728 M; the authors' reference code README (megvii-model/
    # ShuffleNet-Series, ShuffleNetV1 1.0x group=3) rounds it to 1.9 M.
    "shufflenet_v1_g3": (1.9, "megvii ShuffleNet-Series README (paper Table 1 layout)"),
    "shufflenet_v2_x1_0": (2.278604, "torchvision shufflenet_v2_x1_0"),
    "squeezenet1_1": (1.235496, "torchvision squeezenet1_1"),
    "ghostnet_1_0": (5.18, "timm ghostnet_100 (paper Table 7: 5.2 M)"),
    "peleenet": (2.8, "paper: Pelee (Wang et al. 2018) Table 3"),
    "espnetv2": (3.5, "paper: ESPNetv2 (Mehta et al. 2019), s = 2.0 on ImageNet"),
    "repvgg_a0": (8.30, "paper: RepVGG (Ding et al. 2021) Table 3, deploy form"),
}

# Keys of the published state dicts that must appear: (in the trunk, in the head).
KEYS = {
    "shufflenet_v1_g3": ({"first_conv.0.weight", "features.0.branch_main_1.0.weight",
                          "features.15.branch_main_2.1.running_var"}, {"classifier.0.weight"}),
    "shufflenet_v2_x1_0": ({"conv1.0.weight", "stage2.0.branch1.0.weight", "stage4.3.branch2.6.bias"},
                           {"conv5.0.weight", "conv5.1.weight", "fc.weight", "fc.bias"}),
    "squeezenet1_1": ({"features.0.weight", "features.3.squeeze.weight", "features.12.expand3x3.bias"},
                      {"classifier.1.weight", "classifier.1.bias"}),
    "ghostnet_1_0": ({"conv_stem.weight", "bn1.weight", "blocks.0.0.ghost1.primary_conv.0.weight",
                      "blocks.1.0.conv_dw.weight", "blocks.3.0.se.conv_reduce.weight",
                      "blocks.6.3.shortcut.2.weight", "blocks.9.0.conv.weight",
                      "blocks.9.0.bn1.running_mean"},
                     {"conv_head.weight", "conv_head.bias", "classifier.weight"}),
    "peleenet": ({"features.stemblock.stem1.conv.weight", "features.stemblock.stem3.norm.weight",
                  "features.denseblock4.denselayer6.branch2c.conv.weight", "features.transition4.norm.bias"},
                 {"classifier.weight", "classifier.bias"}),
    "espnetv2": ({"level1.conv.weight", "level1.act.weight", "level2_0.eesp.spp_dw.3.conv.weight",
                  "level2_0.inp_reinf.1.conv.weight", "level4.6.module_act.weight", "level5.4.conv.weight"},
                 {"classifier.weight"}),
    "repvgg_a0": ({"stage0.rbr_dense.conv.weight", "stage0.rbr_1x1.bn.running_var",
                   "stage3.13.rbr_identity.weight", "stage4.0.rbr_dense.bn.weight"}, {"linear.weight"}),
}


def _published_classifier(name: str):
    model = classifier_on_meta(BUILDS[name])
    if hasattr(model.backbone, "fuse"):
        model.backbone.fuse()  # RepVGG's published count is the deploy form
    return model


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_classifier_parameter_count(name):
    published, _source = PUBLISHED[name]
    measured = count_parameters(_published_classifier(name)) / 1e6
    assert abs(measured - published) / published < 0.02, (name, measured, published)


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_features_follow_the_zoo_contract(name):
    torch.manual_seed(0)
    assert feature_problems(BUILDS[name](), 64) == []


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_classifier_gives_logits_and_published_keys(name):
    model = classifier_on_meta(BUILDS[name])
    assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    assert model.backbone.act == "relu"
    trunk, head = set(model.backbone.state_dict()), set(model.head.state_dict())
    want_trunk, want_head = KEYS[name]
    assert want_trunk <= trunk and want_head <= head and not trunk & head


def test_repvgg_a0_training_form_and_fused_form_agree():
    torch.manual_seed(0)
    net = repvgg_a0().eval()
    for m in net.modules():  # non-trivial BN statistics so that the folding is exercised
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    assert count_parameters(classifier_on_meta(repvgg_a0)) / 1e6 == pytest.approx(9.11, rel=0.01)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        before = net(x)
        after = net.fuse()(x)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    for stride, fmap in before.items():
        assert torch.allclose(after[stride], fmap, rtol=1e-4, atol=1e-4 * fmap.abs().max().item())


def test_squeezenet_maps_are_exact_at_sizes_the_valid_padding_would_miss():
    with torch.device("meta"):
        feats = squeezenet1_1()(torch.empty(1, 3, 224, 160))
    assert {s: tuple(f.shape[-2:]) for s, f in feats.items()} == {
        4: (56, 40), 8: (28, 20), 16: (14, 10), 32: (7, 5)}
