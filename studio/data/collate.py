"""Batching detection items (see DetectionDataset) into tensors."""

from __future__ import annotations

from typing import Any

import torch


def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """images uint8 (B, 3, S, S); targets float32 (N, 6) [batch_idx, cls, x1, y1, x2, y2] input pixels;
    image_ids, orig_sizes ((h0, w0)), ratios, pads ((padw, padh)) as lists of length B."""
    images = torch.stack([item["image"] for item in items])
    rows = [torch.cat([torch.full((len(item["targets"]), 1), float(i)), item["targets"]], 1)
            for i, item in enumerate(items)]
    targets = torch.cat(rows, 0) if rows else torch.zeros((0, 6))
    return {"images": images, "targets": targets.float(),
            "image_ids": [item["image_id"] for item in items],
            "orig_sizes": [item["orig_size"] for item in items],
            "ratios": [item["ratio"] for item in items],
            "pads": [item["pad"] for item in items]}
