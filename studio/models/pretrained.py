"""Local ImageNet checkpoints for a zoo backbone (``--weights``): torchvision state dicts load by name
because our zoo mirrors torchvision's module names; timm's names for MobileNet and EfficientNet are
renamed first (``studio.models.backbones.timm_names``). No downloads: the user picks the file."""

from __future__ import annotations

import torch

PREFIXES = ("module.", "model.")  # wrappers that DDP / some trainers add to every key


def backbone_state(state: dict[str, torch.Tensor], backbone: str) -> dict[str, torch.Tensor]:
    """``state`` (a detector checkpoint's or a classifier's) plus, for every key that is not already a
    detector key, the same tensor under ``backbone.<key>`` and, when ``backbone`` has timm renames and the
    key is a timm name, under ``backbone.<our name>``. ``load_matching`` then copies whatever fits by name
    and shape (a classifier's head keys fit nothing and are left out)."""
    from studio.models.backbones.timm_names import TIMM_RENAMES

    rename = TIMM_RENAMES.get(backbone)
    out = dict(state)
    for key, value in state.items():
        for prefix in PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
        if key.startswith(("backbone.", "neck.", "head.", "rpn.", "roi_head.")):
            continue
        out[f"backbone.{key}"] = value  # torchvision's names are ours
        mapped = rename(key) if rename is not None else None
        if mapped is not None:
            out[f"backbone.{mapped}"] = value
    return out
