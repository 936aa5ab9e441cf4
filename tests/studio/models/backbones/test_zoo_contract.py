"""Every zoo entry against one table: the published classifier's parameter count (and where it comes from),
the feature contract at 64 px, exact H / s maps on a non-square input, the activation the neck takes, the
classifier's logits at 224 px, and a few key names of the published state dicts (torchvision, else timm,
else the authors'), trunk and head apart. The family files test the blocks."""

from __future__ import annotations

from typing import NamedTuple

import pytest
import torch

from studio.models.classify import classifier_on_meta, count_parameters, feature_problems
from studio.models.registry import BACKBONES, SCALED_BACKBONES


class Entry(NamedTuple):
    published_m: float  # parameters of the published ImageNet classifier, millions
    source: str  # where that figure comes from
    act: str  # the activation a neck over this backbone uses
    trunk_keys: frozenset[str]  # published state-dict keys the trunk must hold
    head_keys: frozenset[str]  # ... and the classifier head


def entry(published_m: float, source: str, act: str, trunk: set[str], head: set[str]) -> Entry:
    return Entry(published_m, source, act, frozenset(trunk), frozenset(head))


FC = {"fc.weight", "fc.bias"}

ZOO = {
    # ResNets (torchvision; SE-ResNet, Res2Net, ResNeSt, SKNet with timm's names)
    "resnet18": entry(11.689512, "torchvision resnet18", "relu",
                      {"conv1.weight", "bn1.running_var", "layer1.1.conv2.weight",
                       "layer2.0.downsample.0.weight",
                       "layer4.1.bn2.bias"}, FC),
    "resnet34": entry(21.797672, "torchvision resnet34", "relu",
                      {"layer3.5.conv2.weight", "layer4.0.downsample.1.running_mean"}, FC),
    "resnet50": entry(25.557032, "torchvision resnet50", "relu",
                      {"layer1.0.downsample.0.weight", "layer3.5.conv3.weight",
                       "layer4.2.bn3.num_batches_tracked"}, FC),
    "resnet101": entry(44.549160, "torchvision resnet101", "relu",
                       {"layer3.22.conv2.weight", "layer4.2.bn3.bias"}, FC),
    "resnext50_32x4d": entry(25.028904, "torchvision resnext50_32x4d", "relu",
                             {"layer2.3.conv2.weight", "layer4.0.downsample.1.weight"}, FC),
    "se_resnet50": entry(28.088024, "timm seresnet50 (paper, Hu et al. 2018: 28.1 M)", "relu",
                         {"layer1.0.se.fc1.weight", "layer1.0.se.fc1.bias", "layer4.2.se.fc2.bias",
                          "layer4.2.conv3.weight"}, FC),
    "res2net50_26w_4s": entry(25.70, "paper: Gao et al. 2019 (TPAMI) (timm res2net50_26w_4s: 25.70 M)",
        "relu",
                              {"conv1.weight", "layer1.0.convs.2.weight", "layer1.0.bns.0.running_var",
                               "layer3.5.conv3.weight", "layer4.0.downsample.1.bias"}, FC),
    "resnest50": entry(27.5, "paper: Zhang et al. 2020 (timm resnest50d: 27.48 M)", "relu",
                       {"conv1.0.weight", "conv1.4.running_mean", "conv1.6.weight", "bn1.weight",
                        "layer1.0.conv2.conv.weight", "layer1.0.conv2.bn0.weight", "layer2.0.conv2.fc1.bias",
                        "layer2.0.conv2.bn1.weight", "layer4.2.conv2.fc2.weight",
                            "layer2.0.downsample.1.weight",
                        "layer2.0.downsample.2.running_var"}, FC),
    "sknet50": entry(27.5, "paper: Li et al. 2019 (CVPR), Table 1 (timm skresnext50_32x4d: 27.48 M)", "relu",
                     {"layer1.0.conv1.conv.weight", "layer1.0.conv1.bn.weight",
                      "layer2.0.conv2.paths.1.conv.weight",
                      "layer2.0.conv2.paths.0.bn.running_mean", "layer3.1.conv2.attn.fc_reduce.weight",
                      "layer3.1.conv2.attn.bn.bias", "layer4.2.conv2.attn.fc_select.weight",
                      "layer4.2.conv3.bn.weight", "layer4.0.downsample.0.weight"}, FC),
    # classic
    "vgg16": entry(138.357544, "torchvision vgg16", "relu",
                   {"features.0.weight", "features.28.bias"}, {"classifier.0.weight", "classifier.6.bias"}),
    "densenet121": entry(7.978856, "torchvision densenet121", "relu",
                         {"features.conv0.weight", "features.denseblock4.denselayer16.conv2.weight",
                          "features.transition3.norm.running_var"}, {"features.norm5.weight",
                                                                     "classifier.weight"}),
    "dpn68": entry(12.611602, "timm dpn68 (paper, Chen et al. 2017, Table 2: 12.61 M)", "relu",
                   {"features.conv1_1.conv.weight", "features.conv2_1.c1x1_w_s1.bn.weight",
                    "features.conv5_1.c1x1_w_s2.conv.weight", "features.conv5_3.c1x1_c.conv.weight"},
                   {"features.conv5_bn_ac.bn.weight", "classifier.weight", "classifier.bias"}),
    # YOLO9000 (Redmon & Farhadi 2017) Table 6 summed by hand: conv weights + BN scale/shift of the 18 conv
    # layers (20,817,376) + the 1x1 conv to 1000 classes with bias (1,025,000).
    "darknet19": entry(20.842376, "paper: YOLO9000 Table 6, computed", "silu",
                       {"stem.conv1.conv.weight", "stages.4.conv5.bn.weight"}, {"head.fc.weight",
                        "head.fc.bias"}),
    "darknet53": entry(41.609928, "timm darknet53", "silu",
                       {"stem.conv1.conv.weight", "stages.4.conv_down.conv.weight",
                        "stages.2.blocks.7.conv2.bn.running_mean"}, {"head.fc.weight"}),
    "cspdarknet53": entry(27.642184, "timm cspdarknet53", "silu",
                          {"stages.0.conv_exp.conv.weight", "stages.3.conv_transition_b.bn.weight",
                           "stages.4.conv_transition.conv.weight", "stages.1.blocks.1.conv1.conv.weight"},
                          {"head.fc.weight"}),
    # valid-padded in their papers, padded here for exact strides
    # (torchvision inception_v3 has 27,161,264 with the auxiliary head; AuxLogits holds 3,326,696)
    "inception_v3": entry(23.834568, "torchvision inception_v3 without AuxLogits", "relu",
                          {"Conv2d_1a_3x3.conv.weight", "Mixed_6e.branch7x7dbl_5.bn.running_var",
                           "Mixed_7c.branch3x3dbl_3b.conv.weight"}, FC),
    "inception_resnet_v2": entry(55.843464, "timm inception_resnet_v2", "relu",
                                 {"conv2d_1a.conv.weight", "mixed_5b.branch3.1.conv.weight",
                                  "repeat.9.conv2d.bias",
                                  "repeat_1.19.branch1.2.bn.weight", "repeat_2.8.branch0.conv.weight",
                                  "block8.conv2d.weight", "conv2d_7b.bn.running_mean"},
                                 {"classif.weight", "classif.bias"}),
    "xception": entry(22.855952, "timm legacy xception", "relu",
                      {"conv1.weight", "bn2.running_var", "block1.rep.0.conv1.weight",
                       "block2.rep.1.pointwise.weight",
                       "block12.rep.5.weight", "block12.skipbn.bias", "conv4.pointwise.weight",
                           "bn4.weight"}, FC),
    # mobile
    "mobilenet_v1": entry(4.23, "timm mobilenetv1_100; paper (Howard et al. 2017) Table 8: 4.2 M", "relu",
                          {"conv_stem.weight", "bn1.running_var", "blocks.0.0.conv_dw.weight",
                           "blocks.3.5.conv_pw.weight", "blocks.4.1.bn2.bias"}, {"classifier.weight"}),
    "mobilenet_v2": entry(3.504872, "torchvision mobilenet_v2", "relu",
                          {"features.0.0.weight", "features.1.conv.0.0.weight", "features.1.conv.1.weight",
                           "features.2.conv.0.1.running_mean", "features.17.conv.2.weight",
                           "features.17.conv.3.bias"},
                          {"features.18.0.weight", "features.18.1.weight", "classifier.1.weight"}),
    "mobilenet_v3_large": entry(5.483032, "torchvision mobilenet_v3_large", "silu",
                                {"features.0.0.weight", "features.1.block.1.0.weight",
                                 "features.4.block.2.fc1.weight",
                                 "features.15.block.3.1.running_var"},
                                {"features.16.0.weight", "classifier.0.weight", "classifier.3.bias"}),
    "mobilenet_v3_small": entry(2.542856, "torchvision mobilenet_v3_small", "silu",
                                {"features.1.block.1.fc2.bias", "features.11.block.3.0.weight"},
                                {"features.12.1.weight", "classifier.0.weight", "classifier.3.weight"}),
    "mnasnet1_0": entry(4.383312, "torchvision mnasnet1_0", "relu",
                        {"layers.0.weight", "layers.4.running_mean", "layers.7.bias",
                         "layers.8.0.layers.0.weight",
                         "layers.13.0.layers.7.weight"}, {"layers.14.weight", "layers.15.bias",
                                                          "classifier.1.weight"}),
    "efficientnet_b0": entry(5.288548, "torchvision efficientnet_b0", "silu",
                             {"features.0.0.weight", "features.1.0.block.0.0.weight",
                              "features.1.0.block.1.fc1.weight",
                              "features.1.0.block.2.1.running_var", "features.2.1.block.2.fc2.bias",
                              "features.7.0.block.3.0.weight"}, {"features.8.0.weight",
                                                                 "classifier.1.weight"}),
    "efficientnet_b1": entry(7.794184, "torchvision efficientnet_b1", "silu",
                             {"features.0.0.weight", "features.2.2.block.3.1.weight"},
                             {"features.8.0.weight", "classifier.1.weight"}),
    "efficientnet_b2": entry(9.109994, "torchvision efficientnet_b2", "silu",
                             {"features.0.0.weight", "features.6.4.block.2.fc2.weight"},
                             {"features.8.1.running_mean", "classifier.1.bias"}),
    "efficientnet_b3": entry(12.233232, "torchvision efficientnet_b3", "silu",
                             {"features.7.1.block.3.1.weight"}, {"features.8.1.bias", "classifier.1.bias"}),
    "efficientnetv2_s": entry(21.458488, "torchvision efficientnet_v2_s", "silu",
                              {"features.1.1.block.0.0.weight", "features.2.0.block.1.1.weight",
                               "features.4.0.block.2.fc1.weight", "features.6.14.block.3.0.weight"},
                              {"features.7.0.weight", "classifier.1.weight"}),
    # light (RepVGG's count is its deploy form, after fuse())
    # ShuffleNet v1: Table 1's layout computed gives 1.864728 M; the authors' README rounds it to 1.9 M
    "shufflenet_v1_g3": entry(1.9, "megvii ShuffleNet-Series README (paper Table 1 layout)", "relu",
                              {"first_conv.0.weight", "features.0.branch_main_1.0.weight",
                               "features.15.branch_main_2.1.running_var"}, {"classifier.0.weight"}),
    "shufflenet_v2_x1_0": entry(2.278604, "torchvision shufflenet_v2_x1_0", "relu",
                                {"conv1.0.weight", "stage2.0.branch1.0.weight", "stage4.3.branch2.6.bias"},
                                {"conv5.0.weight", "conv5.1.weight", "fc.weight", "fc.bias"}),
    "squeezenet1_1": entry(1.235496, "torchvision squeezenet1_1", "relu",
                           {"features.0.weight", "features.3.squeeze.weight", "features.12.expand3x3.bias"},
                           {"classifier.1.weight", "classifier.1.bias"}),
    "ghostnet_1_0": entry(5.18, "timm ghostnet_100 (paper Table 7: 5.2 M)", "relu",
                          {"conv_stem.weight", "bn1.weight", "blocks.0.0.ghost1.primary_conv.0.weight",
                           "blocks.1.0.conv_dw.weight", "blocks.3.0.se.conv_reduce.weight",
                           "blocks.6.3.shortcut.2.weight", "blocks.9.0.conv.weight",
                               "blocks.9.0.bn1.running_mean"},
                          {"conv_head.weight", "conv_head.bias", "classifier.weight"}),
    "peleenet": entry(2.8, "paper: Pelee (Wang et al. 2018) Table 3", "relu",
                      {"features.stemblock.stem1.conv.weight", "features.stemblock.stem3.norm.weight",
                       "features.denseblock4.denselayer6.branch2c.conv.weight",
                           "features.transition4.norm.bias"},
                      {"classifier.weight", "classifier.bias"}),
    "espnetv2": entry(3.5, "paper: ESPNetv2 (Mehta et al. 2019), s = 2.0 on ImageNet", "relu",
                      {"level1.conv.weight", "level1.act.weight", "level2_0.eesp.spp_dw.3.conv.weight",
                       "level2_0.inp_reinf.1.conv.weight", "level4.6.module_act.weight",
                           "level5.4.conv.weight"},
                      {"classifier.weight"}),
    "repvgg_a0": entry(8.30, "paper: RepVGG (Ding et al. 2021) Table 3, deploy form", "relu",
                       {"stage0.rbr_dense.conv.weight", "stage0.rbr_1x1.bn.running_var",
                        "stage3.13.rbr_identity.weight", "stage4.0.rbr_dense.bn.weight"}, {"linear.weight"}),
    # attention (ViT's count leaves out the detection pyramid it gets here)
    "swin_t": entry(28.288354, "torchvision swin_t", "silu",
                    {"features.0.0.weight", "features.0.2.weight",
                     "features.1.0.attn.relative_position_bias_table",
                     "features.1.0.attn.relative_position_index", "features.1.1.mlp.3.weight",
                     "features.2.reduction.weight", "features.6.norm.weight", "features.7.1.norm2.bias"},
                    {"norm.weight", "norm.bias", "head.weight", "head.bias"}),
    "pvt_tiny": entry(13.2, "paper: Wang et al. ICCV 2021, Table 2 (PVT-Tiny)", "silu",
                      {"patch_embed1.proj.weight", "pos_embed4", "cls_token", "block1.0.attn.sr.weight",
                       "block4.1.attn.kv.weight"}, {"head.weight"}),
    "vit_s16": entry(22.050664, "timm vit_small_patch16_224", "silu",
                     {"cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.11.attn.qkv.weight",
                      "blocks.0.mlp.fc2.bias"}, {"head.weight"}),
    "botnet50": entry(20.8, "paper: Srinivas et al. CVPR 2021, Table 13 (BoT50)", "silu",
                      {"conv1.weight", "layer3.5.conv2.weight", "layer4.0.self_attn.qkv.weight",
                       "layer4.0.self_attn.pos_embed.height_rel", "layer4.0.downsample.0.weight"}, FC),
    "coatnet_0": entry(25.0, "paper: Dai et al. NeurIPS 2021, Table 3 (CoAtNet-0)", "silu",
                       {"stem.conv1.weight", "stages.0.blocks.0.se.fc1.weight",
                        "stages.0.blocks.0.shortcut.expand.weight", "stages.2.blocks.0.norm1.norm.weight",
                        "stages.3.blocks.1.attn.rel_pos.relative_position_bias_table"},
                       {"head.norm.weight", "head.pre_logits.fc.weight", "head.fc.bias"}),
}
NAMES = sorted(ZOO)


def test_the_table_lists_every_zoo_entry_of_the_registry():
    assert set(ZOO) == set(BACKBONES) - set(SCALED_BACKBONES)


def published_count(name: str) -> int:
    """Parameters of the classifier as published: RepVGG in its deploy form, ViT without the pyramid."""
    model = classifier_on_meta(BACKBONES[name])
    if name == "repvgg_a0":
        model.backbone.fuse()
    extra = count_parameters(model.backbone.pyramid) if name == "vit_s16" else 0
    return count_parameters(model) - extra


@pytest.mark.parametrize("name", NAMES)
def test_published_classifier_parameter_count(name):
    published = ZOO[name].published_m
    assert published_count(name) / 1e6 == pytest.approx(published, rel=0.02), ZOO[name].source


@pytest.mark.parametrize("name", NAMES)
def test_features_follow_the_zoo_contract(name):
    torch.manual_seed(0)
    backbone = BACKBONES[name]()
    assert feature_problems(backbone, 64) == []
    assert backbone.act == ZOO[name].act


@pytest.mark.parametrize("name", NAMES)
def test_maps_are_exact_on_a_non_square_input(name):
    with torch.device("meta"):
        feats = BACKBONES[name]().eval()(torch.empty(1, 3, 96, 160))
    sizes = {s: tuple(f.shape[2:]) for s, f in feats.items()}
    assert sizes == {s: (96 // s, 160 // s) for s in (4, 8, 16, 32)}


@pytest.mark.parametrize("name", NAMES)
def test_classifier_gives_logits_and_published_keys(name):
    model = classifier_on_meta(BACKBONES[name]).eval()  # eval: attention BNs see 1x1 maps
    assert model(torch.empty(1, 3, 224, 224, device="meta")).shape == (1, 1000)
    trunk, head = set(model.backbone.state_dict()), set(model.head.state_dict())
    assert ZOO[name].trunk_keys <= trunk and ZOO[name].head_keys <= head
    assert not trunk & head
