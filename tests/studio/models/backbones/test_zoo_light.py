"""The light zoo entries (ShuffleNet v1/v2, SqueezeNet 1.1, GhostNet, PeleeNet, ESPNetv2, RepVGG-A0):
published parameter counts, the feature contract, the classifier's logits and the published key names."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.repvgg_zoo import repvgg_a0
from studio.models.backbones.squeezenet import squeezenet1_1
from studio.models.classify import classifier_on_meta, count_parameters


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
