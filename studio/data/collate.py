"""Batching detection items (see DetectionDataset) into tensors."""

from __future__ import annotations

from typing import Any

import torch


def pad_stack(images: list[torch.Tensor], multiple: int = 32) -> torch.Tensor:
    """(3, h_i, w_i) images -> (B, 3, H, W): stacked as they are when all are one size that is a multiple
    of ``multiple``, else each padded with zeros at the right and bottom (top-left kept) to the largest
    size rounded up to ``multiple``."""
    first = images[0].shape
    if all(img.shape == first for img in images) and first[1] % multiple == 0 and first[2] % multiple == 0:
        return torch.stack(images)
    h = -(-max(img.shape[1] for img in images) // multiple) * multiple
    w = -(-max(img.shape[2] for img in images) // multiple) * multiple
    out = images[0].new_zeros((len(images), images[0].shape[0], h, w))
    for i, img in enumerate(images):
        out[i, :, : img.shape[1], : img.shape[2]] = img
    return out


def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """images uint8 (B, 3, H, W) (``pad_stack``); targets float32 (N, 6 + 3K) [batch_idx, cls, x1, y1, x2,
    y2, x_1, y_1, v_1, ...] input pixels (K = 0 for detection; every item of a batch has the same K);
    image_ids, orig_sizes ((h0, w0)), ratios, pads ((padw, padh)) as lists of length B."""
    images = pad_stack([item["image"] for item in items])
    rows = [torch.cat([torch.full((len(item["targets"]), 1), float(i)), item["targets"]], 1)
            for i, item in enumerate(items)]
    targets = torch.cat(rows, 0) if rows else torch.zeros((0, 6))
    return {"images": images, "targets": targets.float(),
            "image_ids": [item["image_id"] for item in items],
            "orig_sizes": [item["orig_size"] for item in items],
            "ratios": [item["ratio"] for item in items],
            "pads": [item["pad"] for item in items]}
