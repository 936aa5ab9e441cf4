"""timm -> torchvision-style state-dict names: keys written by hand from timm's source land on real keys
of ours with the same shapes, and every key of ours is reached by exactly one timm key."""

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
from studio.models.backbones.mobilenet import mobilenet_v2
from studio.models.backbones.mobilenet_v3 import mobilenet_v3_large, mobilenet_v3_small
from studio.models.backbones.timm_names import TIMM_RENAMES, convert_timm_state_dict

BUILDERS = {
    "mobilenet_v2": mobilenet_v2,
    "mobilenet_v3_large": mobilenet_v3_large,
    "mobilenet_v3_small": mobilenet_v3_small,
    "efficientnet_b0": efficientnet_b0,
    "efficientnet_b1": efficientnet_b1,
    "efficientnet_b2": efficientnet_b2,
    "efficientnet_b3": efficientnet_b3,
    "efficientnetv2_s": efficientnetv2_s,
}

# Written out from timm's arch defs and blocks (efficientnet.py _gen_efficientnet / _gen_efficientnetv2_s /
# _gen_mobilenet_v2, mobilenetv3.py _gen_mobilenet_v3, _efficientnet_blocks.py), not from our models.
TIMM_BY_HAND: dict[str, dict[str, tuple[int, ...]]] = {
    # stem, stage 0 'ds_r1_k3_s1_e1_c16_se0.25', stage 1 'ir_r2_k3_s2_e6_c24_se0.25' block 0, head
    "efficientnet_b0": {
        "conv_stem.weight": (32, 3, 3, 3), "bn1.running_mean": (32,),
        "blocks.0.0.conv_dw.weight": (32, 1, 3, 3), "blocks.0.0.bn1.weight": (32,),
        "blocks.0.0.se.conv_reduce.weight": (8, 32, 1, 1), "blocks.0.0.se.conv_reduce.bias": (8,),
        "blocks.0.0.se.conv_expand.weight": (32, 8, 1, 1), "blocks.0.0.se.conv_expand.bias": (32,),
        "blocks.0.0.conv_pw.weight": (16, 32, 1, 1), "blocks.0.0.bn2.running_var": (16,),
        "blocks.1.0.conv_pw.weight": (96, 16, 1, 1), "blocks.1.0.bn1.bias": (96,),
        "blocks.1.0.conv_dw.weight": (96, 1, 3, 3), "blocks.1.0.bn2.weight": (96,),
        "blocks.1.0.se.conv_reduce.weight": (4, 96, 1, 1), "blocks.1.0.se.conv_expand.weight": (96, 4, 1, 1),
        "blocks.1.0.conv_pwl.weight": (24, 96, 1, 1), "blocks.1.0.bn3.weight": (24,),
        "conv_head.weight": (1280, 320, 1, 1), "bn2.weight": (1280,),
        "classifier.weight": (1000, 1280), "classifier.bias": (1000,),
    },
    "efficientnetv2_s": {  # stage 0 'cn_r2_k3_s1_e1_c24_skip', 1 'er_r4_k3_s2_e4_c48', 3 'ir_..._c128_se0.25'
        "conv_stem.weight": (24, 3, 3, 3),
        "blocks.0.0.conv.weight": (24, 24, 3, 3), "blocks.0.1.bn1.weight": (24,),
        "blocks.1.0.conv_exp.weight": (96, 24, 3, 3), "blocks.1.0.bn1.weight": (96,),
        "blocks.1.0.conv_pwl.weight": (48, 96, 1, 1), "blocks.1.0.bn2.bias": (48,),
        "blocks.1.3.conv_exp.weight": (192, 48, 3, 3),
        "blocks.3.0.conv_pw.weight": (256, 64, 1, 1), "blocks.3.0.conv_dw.weight": (256, 1, 3, 3),
        "blocks.3.0.se.conv_reduce.weight": (16, 256, 1, 1), "blocks.3.0.conv_pwl.weight": (128, 256, 1, 1),
        "blocks.5.14.bn3.weight": (256,), "conv_head.weight": (1280, 256, 1, 1),
    },
    "mobilenet_v2": {  # stage 0 'ds_r1_k3_s1_c16', stage 1 'ir_r2_k3_s2_e6_c24' block 0
        "conv_stem.weight": (32, 3, 3, 3), "blocks.0.0.conv_dw.weight": (32, 1, 3, 3),
        "blocks.0.0.bn1.weight": (32,), "blocks.0.0.conv_pw.weight": (16, 32, 1, 1),
        "blocks.0.0.bn2.weight": (16,),
        "blocks.1.0.conv_pw.weight": (96, 16, 1, 1), "blocks.1.0.conv_dw.weight": (96, 1, 3, 3),
        "blocks.1.0.conv_pwl.weight": (24, 96, 1, 1), "blocks.1.0.bn3.running_var": (24,),
        "blocks.6.0.conv_pwl.weight": (320, 960, 1, 1), "conv_head.weight": (1280, 320, 1, 1),
        "bn2.bias": (1280,), "classifier.weight": (1000, 1280),
    },
    # stage 0 'ds_r1_k3_s1_e1_c16_nre', stage 2 'ir_r3_k5_s2_e3_c40_se0.25_nre', stage 6 'cn_r1_k1_s1_c960'
    "mobilenet_v3_large": {
        "conv_stem.weight": (16, 3, 3, 3), "bn1.weight": (16,),
        "blocks.0.0.conv_dw.weight": (16, 1, 3, 3), "blocks.0.0.conv_pw.weight": (16, 16, 1, 1),
        "blocks.0.0.bn2.weight": (16,),
        "blocks.2.0.conv_pw.weight": (72, 24, 1, 1), "blocks.2.0.conv_dw.weight": (72, 1, 5, 5),
        "blocks.2.0.se.conv_reduce.weight": (24, 72, 1, 1), "blocks.2.0.se.conv_expand.bias": (72,),
        "blocks.2.0.conv_pwl.weight": (40, 72, 1, 1), "blocks.2.0.bn3.weight": (40,),
        "blocks.6.0.conv.weight": (960, 160, 1, 1), "blocks.6.0.bn1.running_var": (960,),
        "conv_head.weight": (1280, 960, 1, 1), "conv_head.bias": (1280,), "classifier.weight": (1000, 1280),
    },
    "mobilenet_v3_small": {  # stage 0 'ds_r1_k3_s2_e1_c16_se0.25_nre', stage 5 'cn_r1_k1_s1_c576'
        "blocks.0.0.conv_dw.weight": (16, 1, 3, 3), "blocks.0.0.se.conv_reduce.weight": (8, 16, 1, 1),
        "blocks.0.0.se.conv_expand.weight": (16, 8, 1, 1), "blocks.0.0.conv_pw.weight": (16, 16, 1, 1),
        "blocks.5.0.conv.weight": (576, 96, 1, 1), "conv_head.weight": (1024, 576, 1, 1),
    },
}
SUBS = ("conv", "conv_dw", "conv_pw", "conv_pwl", "conv_exp", "bn1", "bn2", "bn3", "se.conv_reduce",
        "se.conv_expand")
PARAMS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _our_shapes(name: str) -> dict[str, tuple[int, ...]]:
    """Trunk and head state-dict shapes of zoo entry ``name`` (built on meta: no memory)."""
    with torch.device("meta"):
        backbone = BUILDERS[name]()
        head = backbone.classifier()
    return {k: tuple(v.shape) for sd in (backbone.state_dict(), head.state_dict()) for k, v in sd.items()}


@pytest.mark.parametrize("name", sorted(TIMM_BY_HAND))
def test_hand_written_timm_keys_land_on_our_keys_with_equal_shapes(name: str) -> None:
    ours = _our_shapes(name)
    timm_sd = {k: torch.empty(shape, device="meta") for k, shape in TIMM_BY_HAND[name].items()}
    converted = convert_timm_state_dict(name, timm_sd)
    assert len(converted) == len(timm_sd)
    for key, tensor in converted.items():
        assert key in ours, key
        assert tuple(tensor.shape) == ours[key], key


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_key_of_ours_round_trips_through_one_timm_key(name: str) -> None:
    rename = TIMM_RENAMES[name]
    candidates = [f"blocks.{s}.{b}.{sub}.{p}" for s in range(8) for b in range(16) for sub in SUBS
                  for p in PARAMS]
    candidates += [f"{m}.{p}" for m in ("conv_stem", "bn1", "conv_head", "bn2", "classifier") for p in PARAMS]
    inverse: dict[str, str] = {}
    for timm_key in candidates:
        ours = rename(timm_key)
        if ours is not None:
            assert ours not in inverse, f"{timm_key} and {inverse.get(ours)} both map to {ours}"
            inverse[ours] = timm_key
    shapes = _our_shapes(name)
    assert set(shapes) <= set(inverse), sorted(set(shapes) - set(inverse))[:5]
    synthetic = {}
    for key, shape in shapes.items():
        timm_shape = (*shape, 1, 1) if inverse[key] == "conv_head.weight" and len(shape) == 2 else shape
        synthetic[inverse[key]] = torch.empty(timm_shape, device="meta")
    converted = convert_timm_state_dict(name, synthetic)
    assert {k: tuple(v.shape) for k, v in converted.items()} == shapes


def test_keys_without_a_counterpart_map_to_none() -> None:
    rename = TIMM_RENAMES["efficientnet_b0"]
    assert rename("blocks.7.0.conv_pw.weight") is None  # B0 has 7 stages
    assert rename("blocks.0.0.conv_pwl.weight") is None  # a ds block has no conv_pwl
    assert rename("head.fc.weight") is None
    assert rename("blocks.0.0.weight") is None


def test_converted_state_dict_loads_strictly_into_trunk_and_head() -> None:
    backbone = mobilenet_v3_small()
    head = backbone.classifier()
    ours = {**backbone.state_dict(), **head.state_dict()}
    rename = TIMM_RENAMES["mobilenet_v3_small"]
    inverse = {rename(k): k for k in (f"blocks.{s}.{b}.{sub}.{p}" for s in range(6) for b in range(3)
                                      for sub in SUBS for p in PARAMS) if rename(k)}
    inverse |= {rename(f"{m}.{p}"): f"{m}.{p}" for m in ("conv_stem", "bn1", "conv_head", "classifier")
                for p in PARAMS if rename(f"{m}.{p}") in ours}
    timm_sd = {inverse[k]: torch.randn(v.shape) if v.is_floating_point() else v for k, v in ours.items()}
    timm_sd["conv_head.weight"] = timm_sd["conv_head.weight"][:, :, None, None]
    converted = convert_timm_state_dict("mobilenet_v3_small", timm_sd)
    backbone.load_state_dict({k: v for k, v in converted.items() if k in backbone.state_dict()}, strict=True)
    head.load_state_dict({k: v for k, v in converted.items() if k in head.state_dict()}, strict=True)
    assert torch.equal(head.classifier[0].weight, timm_sd["conv_head.weight"].flatten(1))
