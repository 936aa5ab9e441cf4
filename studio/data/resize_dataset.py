"""The two-stage detector's items: each image resized with its aspect kept (short side to ``min_size``,
long side at most ``max_size``), as Faster R-CNN is trained and evaluated; horizontal flips when
training. The batch is padded top-left to its largest size (``studio.data.collate``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import torch

from studio.data.augment import AugmentConfig
from studio.data.decode import read_rgb
from studio.data.detection import DetectionDataset
from studio.data.records import ImageRecord
from studio.errors import ConfigError


def keep_ratio_scale(h: int, w: int, min_size: int, max_size: int) -> float:
    """The scale that brings the short side to ``min_size`` unless the long side would pass ``max_size``."""
    return min(min_size / min(h, w), max_size / max(h, w))


class ResizeDetectionDataset(DetectionDataset):
    """Items as ``DetectionDataset`` gives them (same keys, same seeding by key) but not square: image
    uint8 (3, h, w) with h, w the resized size; targets (n, 5) [cls, x1, y1, x2, y2] in its pixels;
    ratio the scale, pad (0, 0), so ``scale_boxes_back`` maps predictions back. Training items are
    flipped left-right with probability ``augment.fliplr`` (the reference "1x" recipe uses nothing else)."""

    def __init__(self, records: Sequence[ImageRecord], min_size: int, max_size: int,
                 augment: AugmentConfig | None, *, seed: int = 0, epochs: int | None = None) -> None:
        if min_size < 32 or max_size < min_size:
            raise ConfigError(f"input size {min_size} (short side) / {max_size} (long side): use a short "
                              "side of at least 32 and a long side at least as large")
        super().__init__(records, 32 * ((max_size + 31) // 32), augment, seed=seed, epochs=epochs)
        self.min_size, self.max_size = min_size, max_size

    def __getitem__(self, key: int) -> dict[str, Any]:
        key = int(key)
        if key < 0 or not self.records:
            raise IndexError(f"key {key}: keys are 0 or more, over {len(self.records)} images")
        index = key % len(self.records)
        record = self.records[index]
        img, orig, labels = self._load(index)
        if self.augment is not None:
            rng = np.random.default_rng([self.seed, key])
            if rng.random() < self.augment.fliplr:
                img = np.ascontiguousarray(img[:, ::-1])
                labels = labels.copy()
                labels[:, [1, 3]] = img.shape[1] - labels[:, [3, 1]]
        ratio = img.shape[0] / orig[0]
        image = torch.from_numpy(np.array(img.transpose(2, 0, 1), dtype=np.uint8, order="C"))
        return {"image": image, "targets": torch.from_numpy(np.array(labels, dtype=np.float32)),
                "image_id": record.image_id, "orig_size": orig, "ratio": ratio, "pad": (0, 0)}

    def _load(self, index: int):
        """(image resized keeping its aspect, decoded (h0, w0), labels (n, 5) in the resized pixels)."""
        record = self.records[index]
        decoded = read_rgb(record.path)
        h0, w0 = int(decoded.shape[0]), int(decoded.shape[1])
        r = keep_ratio_scale(h0, w0, self.min_size, self.max_size)
        size = (max(round(w0 * r), 1), max(round(h0 * r), 1))
        fast = self.augment is not None or r > 1
        img = cv2.resize(decoded, size, interpolation=cv2.INTER_LINEAR if fast else cv2.INTER_AREA)
        declared_h = record.height if record.height > 0 else h0
        declared_w = record.width if record.width > 0 else w0
        keep = ~record.crowd
        labels = np.zeros((int(keep.sum()), 5), dtype=np.float32)
        labels[:, 0] = record.classes[keep]
        labels[:, [1, 3]] = record.boxes[keep][:, [0, 2]] * (img.shape[1] / declared_w)
        labels[:, [2, 4]] = record.boxes[keep][:, [1, 3]] * (img.shape[0] / declared_h)
        return img, (h0, w0), labels
