"""The attention entries of the zoo (Swin-T, PVT-Tiny, ViT-S/16, BoT50, CoAtNet-0): published classifier
sizes, the feature contract at 64 px, the classifier on meta at 224 px, and the published module names."""

from __future__ import annotations

import pytest
import torch

from studio.models.backbones.botnet import botnet50
from studio.models.backbones.coatnet import coatnet_0
from studio.models.backbones.pvt import pvt_tiny
from studio.models.backbones.swin import swin_t
from studio.models.backbones.vit import vit_s16
from studio.models.classify import classifier_on_meta, count_parameters, feature_problems

BUILDS = {"swin_t": swin_t, "pvt_tiny": pvt_tiny, "vit_s16": vit_s16, "botnet50": botnet50,
          "coatnet_0": coatnet_0}

# published classifier parameters (millions) and where the figure comes from
PUBLISHED = {
    "swin_t": (28.288354, "torchvision swin_t"),
    "pvt_tiny": (13.2, "paper: Wang et al. ICCV 2021, Table 2 (PVT-Tiny)"),
    "vit_s16": (22.050664, "timm vit_small_patch16_224"),
    "botnet50": (20.8, "paper: Srinivas et al. CVPR 2021, Table 13 (BoT50)"),
    "coatnet_0": (25.0, "paper: Dai et al. NeurIPS 2021, Table 3 (CoAtNet-0)"),
}


def published_count(name: str) -> int:
    """Parameters of the published classifier: ViT's detection pyramid is not part of it."""
    model = classifier_on_meta(BUILDS[name])
    extra = count_parameters(model.backbone.pyramid) if name == "vit_s16" else 0
    return count_parameters(model) - extra


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_classifier_parameters_match_the_published_figure(name):
    figure, _source = PUBLISHED[name]
    assert published_count(name) / 1e6 == pytest.approx(figure, rel=0.02)


def test_vit_published_count_excludes_the_pyramid():
    with torch.device("meta"):
        backbone = vit_s16()
    head = count_parameters(backbone.classifier())
    assert backbone.published_parameter_count() + head == 22_050_664


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_features_follow_the_contract_at_64_px(name):
    torch.manual_seed(0)
    backbone = BUILDS[name]()
    assert feature_problems(backbone, 64) == []
    assert backbone.act == "silu"


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_classifier_on_meta_gives_logits_at_224(name):
    model = classifier_on_meta(BUILDS[name])
    assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)


def test_swin_keys_mirror_torchvision():
    with torch.device("meta"):
        backbone = swin_t()
    keys = set(backbone.state_dict())
    assert {"features.0.0.weight", "features.0.2.weight", "features.1.0.attn.relative_position_bias_table",
            "features.1.0.attn.relative_position_index", "features.1.1.mlp.3.weight",
            "features.2.reduction.weight", "features.6.norm.weight", "features.7.1.norm2.bias"} <= keys
    assert set(backbone.classifier().state_dict()) == {"norm.weight", "norm.bias", "head.weight", "head.bias"}


def test_timm_and_author_keys():
    with torch.device("meta"):
        vit, pvt, coat, bot = vit_s16(), pvt_tiny(), coatnet_0(), botnet50()
    assert {"cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.11.attn.qkv.weight",
            "blocks.0.mlp.fc2.bias"} <= set(vit.state_dict())
    assert tuple(vit.pos_embed.shape) == (1, 197, 384)
    assert {"patch_embed1.proj.weight", "pos_embed4", "cls_token", "block1.0.attn.sr.weight",
            "block4.1.attn.kv.weight"} <= set(pvt.state_dict())
    assert {"stem.conv1.weight", "stages.0.blocks.0.se.fc1.weight",
            "stages.0.blocks.0.shortcut.expand.weight", "stages.2.blocks.0.norm1.norm.weight",
            "stages.3.blocks.1.attn.rel_pos.relative_position_bias_table"} <= set(coat.state_dict())
    head_keys = {"head.norm.weight", "head.pre_logits.fc.weight", "head.fc.bias"}
    assert head_keys <= set(coat.classifier().state_dict())
    assert {"conv1.weight", "layer3.5.conv2.weight", "layer4.0.self_attn.qkv.weight",
            "layer4.0.self_attn.pos_embed.height_rel",
            "layer4.0.downsample.0.weight"} <= set(bot.state_dict())
    assert set(bot.classifier().state_dict()) == {"fc.weight", "fc.bias"}


@pytest.mark.parametrize("name", ["swin_t", "pvt_tiny", "vit_s16", "botnet50", "coatnet_0"])
def test_non_square_input_on_meta(name):
    with torch.device("meta"):
        backbone = BUILDS[name]()
        feats = backbone(torch.empty(1, 3, 96, 160))
    sizes = {s: tuple(f.shape[2:]) for s, f in feats.items()}
    assert sizes == {s: (96 // s, 160 // s) for s in (4, 8, 16, 32)}
