"""timm ImageNet state-dict names -> ours, for the zoo entries that mirror torchvision (whose own state
dicts load by name). timm (``efficientnet.py``, ``mobilenetv3.py``, ``_efficientnet_blocks.py``) names the
trunk ``conv_stem``, ``bn1``, ``blocks.S.B.<sub>``, ``conv_head``, ``bn2`` and the head ``classifier``,
where a block's children depend on its type: ``ds`` DepthwiseSeparableConv (``conv_dw``, ``bn1``,
[``se``], ``conv_pw``, ``bn2``), ``ir`` InvertedResidual (``conv_pw``, ``bn1``, ``conv_dw``, ``bn2``,
[``se``], ``conv_pwl``, ``bn3``), ``er`` EdgeResidual / Fused-MBConv (``conv_exp``, ``bn1``, ``conv_pwl``,
``bn2``), ``cn`` ConvBnAct (``conv``, ``bn1``); SE is ``se.conv_reduce`` / ``se.conv_expand``.

Each ``*_key`` function maps one timm key to our key (trunk keys are ``backbone.state_dict()`` keys, head
keys ``backbone.classifier().state_dict()`` keys), or None where we have no counterpart.
``convert_timm_state_dict`` renames a whole state dict. One shape differs: timm's MobileNetV3 ``conv_head``
is a 1x1 conv with bias (1280, 960, 1, 1) where torchvision has ``classifier.0`` Linear (1280, 960); the
converter flattens it. timm's ``tf_*`` ports have the same names but TF "same" padding (asymmetric on
stride 2), so their accuracy drops a little with our symmetric padding.
"""

from __future__ import annotations

from functools import cache, partial

import torch

from studio.models.backbones.efficientnet import B_SCALES, B_STAGES, V2_S_STAGES, Stage, scaled_stages
from studio.models.backbones.mobilenet import V2_SETTING
from studio.models.backbones.mobilenet_v3 import LARGE, SMALL, Bneck

# timm block type -> its (conv, bn) pairs and SE in order; the i-th entry is torchvision's ``block.i``
_PARTS = {
    "ds": (("conv_dw", "bn1"), "se", ("conv_pw", "bn2")),
    "ir": (("conv_pw", "bn1"), ("conv_dw", "bn2"), "se", ("conv_pwl", "bn3")),
    "er": (("conv_exp", "bn1"), ("conv_pwl", "bn2")),
    "cn": (("conv", "bn1"),),
}
# MobileNetV2's torchvision InvertedResidual (``conv.N``: the projection conv and its BN are flat)
_V2_SUBS = {
    "ds": {"conv_dw": "conv.0.0", "bn1": "conv.0.1", "conv_pw": "conv.1", "bn2": "conv.2"},
    "ir": {"conv_pw": "conv.0.0", "bn1": "conv.0.1", "conv_dw": "conv.1.0", "bn2": "conv.1.1",
           "conv_pwl": "conv.2", "bn3": "conv.3"},
}
# timm's MobileNetV3 stage grouping of torchvision's flat blocks (features.1 ...), before the final ``cn``
_MNV3_STAGES = {"large": (1, 2, 3, 4, 2, 3), "small": (1, 2, 3, 2, 3)}


def _mbconv_subs(kind: str, se: bool) -> dict[str, str]:
    """timm sub-module -> torchvision MBConv / MobileNetV3 sub-module (``block.i.0`` conv, ``block.i.1``
    BN, ``block.i.fc1`` / ``fc2`` SE)."""
    subs: dict[str, str] = {}
    parts = [p for p in _PARTS[kind] if p != "se" or se]
    for i, part in enumerate(parts):
        if part == "se":
            subs |= {"se.conv_reduce": f"block.{i}.fc1", "se.conv_expand": f"block.{i}.fc2"}
        else:
            subs |= {part[0]: f"block.{i}.0", part[1]: f"block.{i}.1"}
    return subs


BlockMap = dict[tuple[int, int], tuple[str, dict[str, str]]]  # timm (stage, block) -> (our prefix, subs)


def _rename(key: str, top: dict[str, str], blocks: BlockMap) -> str | None:
    """Split ``key`` into module path and parameter name and look the module up: ``top`` for whole-model
    modules (conv_stem, ...), ``blocks`` for ``blocks.S.B.<sub>`` -> (our block prefix, sub-module map)."""
    module, _, param = key.rpartition(".")
    if module in top:
        return f"{top[module]}.{param}"
    parts = module.split(".")
    if len(parts) < 4 or parts[0] != "blocks" or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    prefix, subs = blocks.get((int(parts[1]), int(parts[2])), ("", {}))
    sub = subs.get(".".join(parts[3:]))
    return None if sub is None else f"{prefix}.{sub}.{param}"


def _efficientnet_blocks(stages: tuple[Stage, ...]) -> BlockMap:
    """timm stage S block B -> torchvision ``features.{S+1}.{B}``; stage kinds from the layout table."""
    out = {}
    for s, st in enumerate(stages):
        if st.fused:
            kind, se = ("cn" if st.expand == 1 else "er"), False
        else:
            kind, se = ("ds" if st.expand == 1 else "ir"), True
        for b in range(st.n):
            out[(s, b)] = (f"features.{s + 1}.{b}", _mbconv_subs(kind, se))
    return out


@cache
def _efficientnet_tables(variant: str) -> tuple[dict[str, str], BlockMap]:
    """(whole-model module map, block map) of EfficientNet ``variant``."""
    if variant == "v2_s":
        stages = V2_S_STAGES
    else:
        width, depth, _ = B_SCALES[variant]
        stages = scaled_stages(B_STAGES, width, depth)
    head = len(stages) + 1
    top = {"conv_stem": "features.0.0", "bn1": "features.0.1", "conv_head": f"features.{head}.0",
           "bn2": f"features.{head}.1", "classifier": "classifier.1"}
    return top, _efficientnet_blocks(stages)


def efficientnet_key(key: str, variant: str = "b0") -> str | None:
    """timm ``efficientnet_b0..b3`` / ``tf_efficientnet_*`` (variant "b0".."b3") or ``tf_efficientnetv2_s``
    / ``efficientnetv2_s`` (variant "v2_s") key -> ours (torchvision ``efficientnet_*``)."""
    return _rename(key, *_efficientnet_tables(variant))


@cache
def _mobilenet_v2_tables() -> tuple[dict[str, str], BlockMap]:
    """(whole-model module map, block map) of MobileNetV2 1.0."""
    blocks: BlockMap = {}
    index = 1
    for s, (t, _, n, _) in enumerate(V2_SETTING):
        for b in range(n):
            blocks[(s, b)] = (f"features.{index}", _V2_SUBS["ds" if t == 1 else "ir"])
            index += 1
    top = {"conv_stem": "features.0.0", "bn1": "features.0.1", "conv_head": f"features.{index}.0",
           "bn2": f"features.{index}.1", "classifier": "classifier.1"}
    return top, blocks


def mobilenet_v2_key(key: str) -> str | None:
    """timm ``mobilenetv2_100`` key -> ours (torchvision ``mobilenet_v2``: flat ``features.1-17``)."""
    return _rename(key, *_mobilenet_v2_tables())


@cache
def _mobilenet_v3_tables(variant: str) -> tuple[dict[str, str], BlockMap]:
    """(whole-model module map, block map) of MobileNetV3 ``variant`` ("large" or "small")."""
    setting: tuple[Bneck, ...] = LARGE if variant == "large" else SMALL
    blocks: BlockMap = {}
    index = 1
    for s, n in enumerate(_MNV3_STAGES[variant]):
        for b in range(n):
            cfg = setting[index - 1]
            kind = "ds" if cfg.expanded == cfg.c1 else "ir"
            blocks[(s, b)] = (f"features.{index}", _mbconv_subs(kind, cfg.se))
            index += 1
    blocks[(len(_MNV3_STAGES[variant]), 0)] = (f"features.{index}", {"conv": "0", "bn1": "1"})
    top = {"conv_stem": "features.0.0", "bn1": "features.0.1", "conv_head": "classifier.0",
           "classifier": "classifier.3"}
    return top, blocks


def mobilenet_v3_key(key: str, variant: str = "large") -> str | None:
    """timm ``mobilenetv3_large_100`` / ``mobilenetv3_small_100`` key -> ours (torchvision
    ``mobilenet_v3_*``: flat ``features.1-15`` / ``1-11``, the last ``cn`` block is ``features.16`` / ``12``,
    timm's ``conv_head`` is ``classifier.0``)."""
    return _rename(key, *_mobilenet_v3_tables(variant))


TIMM_RENAMES = {
    "mobilenet_v2": mobilenet_v2_key,
    "mobilenet_v3_large": partial(mobilenet_v3_key, variant="large"),
    "mobilenet_v3_small": partial(mobilenet_v3_key, variant="small"),
    "efficientnet_b0": partial(efficientnet_key, variant="b0"),
    "efficientnet_b1": partial(efficientnet_key, variant="b1"),
    "efficientnet_b2": partial(efficientnet_key, variant="b2"),
    "efficientnet_b3": partial(efficientnet_key, variant="b3"),
    "efficientnetv2_s": partial(efficientnet_key, variant="v2_s"),
}


def convert_timm_state_dict(name: str, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A timm state dict for zoo entry ``name`` -> the same tensors under our keys; keys without a
    counterpart are dropped, and a 1x1 conv weight that lands on one of our ``classifier.*`` Linear
    weights (MobileNetV3's ``conv_head``) is flattened to (out, in)."""
    rename = TIMM_RENAMES[name]
    out = {}
    for key, tensor in state_dict.items():
        new = rename(key)
        if new is None:
            continue
        if new.startswith("classifier.") and new.endswith(".weight") and tensor.ndim == 4:
            tensor = tensor.flatten(1)
        out[new] = tensor
    return out
