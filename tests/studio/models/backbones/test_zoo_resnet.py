"""The ResNet zoo entries (ResNet-18/34/50/101, ResNeXt-50 32x4d, SE-ResNet-50): published parameter
counts, the feature contract, the classifier's logits, torchvision / timm key names, and the trunk."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.resnet import (
    BasicBlock,
    ResNet,
    ResNetLayout,
    downsample,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnext50_32x4d,
    se_resnet50,
)
from studio.models.classify import classifier_on_meta, count_parameters, feature_problems

BUILDS = {f.__name__: f for f in (resnet18, resnet34, resnet50, resnet101, resnext50_32x4d, se_resnet50)}

# Published classifier parameter counts in millions, and where they come from.
PUBLISHED = {
    "resnet18": (11.689512, "torchvision resnet18"),
    "resnet34": (21.797672, "torchvision resnet34"),
    "resnet50": (25.557032, "torchvision resnet50"),
    "resnet101": (44.549160, "torchvision resnet101"),
    "resnext50_32x4d": (25.028904, "torchvision resnext50_32x4d"),
    "se_resnet50": (28.088024, "timm seresnet50 (paper, Hu et al. 2018: 28.1 M)"),
}

# Keys of the published state dicts that must appear: (in the trunk, in the head).
KEYS = {
    "resnet18": ({"conv1.weight", "bn1.running_var", "layer1.1.conv2.weight", "layer2.0.downsample.0.weight",
                  "layer4.1.bn2.bias"}, {"fc.weight", "fc.bias"}),
    "resnet34": ({"layer3.5.conv2.weight", "layer4.0.downsample.1.running_mean"}, {"fc.weight", "fc.bias"}),
    "resnet50": ({"layer1.0.downsample.0.weight", "layer3.5.conv3.weight",
                  "layer4.2.bn3.num_batches_tracked"}, {"fc.weight", "fc.bias"}),
    "resnet101": ({"layer3.22.conv2.weight", "layer4.2.bn3.bias"}, {"fc.weight", "fc.bias"}),
    "resnext50_32x4d": ({"layer2.3.conv2.weight", "layer4.0.downsample.1.weight"}, {"fc.weight", "fc.bias"}),
    "se_resnet50": ({"layer1.0.se.fc1.weight", "layer1.0.se.fc1.bias", "layer4.2.se.fc2.bias",
                     "layer4.2.conv3.weight"}, {"fc.weight", "fc.bias"}),
}

# Parameter tensors of the torchvision models (conv weights, BN weight + bias, fc weight + bias).
TORCHVISION_TENSORS = {"resnet18": 62, "resnet34": 110, "resnet50": 161, "resnet101": 314,
                       "resnext50_32x4d": 161}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread: on a shared 2-core machine a second OpenMP thread spins waiting for a busy core
    and the small forwards here take 50x longer; the results are the same either way."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
    model = classifier_on_meta(BUILDS[name]).eval()
    assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    assert model.backbone.act == "relu" and isinstance(model.backbone, ResNet)
    trunk, head = set(model.backbone.state_dict()), set(model.head.state_dict())
    want_trunk, want_head = KEYS[name]
    assert want_trunk <= trunk and want_head <= head and not trunk & head
    if name in TORCHVISION_TENSORS:
        assert len(list(model.parameters())) == TORCHVISION_TENSORS[name]


def test_stride_maps_are_the_layer_outputs():
    assert resnet50().out_channels == {4: 256, 8: 512, 16: 1024, 32: 2048}
    assert resnet18().out_channels == {4: 64, 8: 128, 16: 256, 32: 512}
    model = resnet18().eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        feats = model(x)
        c2 = model.layer1(model.maxpool(model.relu(model.bn1(model.conv1(model.normalize(x))))))
    assert torch.equal(feats[4], c2)


def test_zero_init_last_makes_se_blocks_identities_and_torchvision_nets_do_not():
    block = se_resnet50().layer1[1].eval()
    x = torch.rand(1, 256, 8, 8)
    with torch.no_grad():
        assert torch.equal(block(x), x)
    assert bool((resnet50().layer1[1].bn3.weight == 1).all())


def test_layouts_are_checked():
    with pytest.raises(ValueError, match="4 stages"):
        resnet50(layers=(3, 4, 6))
    with pytest.raises(ValueError, match="BasicBlock"):
        BasicBlock(64, 64, 1, None, ResNetLayout(groups=32))


def test_deep_stem_and_average_pool_shortcut():
    model = resnet50(deep_stem=True, avg_down=True)
    assert [type(m).__name__ for m in model.conv1] == ["Conv2d", "BatchNorm2d", "ReLU"] * 2 + ["Conv2d"]
    assert type(model.layer1[0].downsample[0]).__name__ == "Identity"
    short = downsample(8, 16, 2, avg_down=True).eval()
    x = torch.rand(1, 8, 6, 6)
    with torch.no_grad():
        want = short[2](short[1](torch.nn.functional.avg_pool2d(x, 2)))
        assert torch.allclose(short(x), want, atol=1e-6)
