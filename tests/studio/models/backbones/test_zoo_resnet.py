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
    resnet50,
    se_resnet50,
)
from studio.models.classify import classifier_on_meta
from studio.models.registry import BACKBONES

# Parameter tensors of the torchvision models (conv weights, BN weight + bias, fc weight + bias).
TORCHVISION_TENSORS = {"resnet18": 62, "resnet34": 110, "resnet50": 161, "resnet101": 314,
                       "resnext50_32x4d": 161}


@pytest.mark.parametrize("name", sorted(TORCHVISION_TENSORS))
def test_same_parameter_tensors_as_torchvision(name):
    model = classifier_on_meta(BACKBONES[name])
    assert isinstance(model.backbone, ResNet)
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
