"""Deterministic train/val split for sources that carry none (DESIGN section 3)."""

from __future__ import annotations

import hashlib

DEFAULT_VAL_FRACTION = 0.2


def hash_split(file_name: str, val_fraction: float = DEFAULT_VAL_FRACTION) -> str:
    """'val' for about ``val_fraction`` of names, else 'train'; stable across runs and machines."""
    if not 0.0 <= val_fraction <= 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1], got {val_fraction}")
    digest = hashlib.sha1(file_name.replace("\\", "/").encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") / 2**64
    return "val" if bucket < val_fraction else "train"


def split_from_name(name: str) -> str | None:
    """'train' / 'val' / 'test' when a folder or json name says so (train2017, val, ...), else None."""
    low = name.lower()
    for split in ("train", "val", "test"):
        if split in low:
            return split
    return None
