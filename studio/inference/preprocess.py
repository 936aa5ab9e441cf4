"""From RGB images of any size to the network input batch, and the letterbox geometry to map boxes back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from studio.data.letterbox import letterbox, scale_boxes_back, scale_keypoints_back


@dataclass(frozen=True)
class Letterboxed:
    """How one image was fitted into the square input: ``ratio``, ``pad`` (padw, padh) and ``orig`` (h, w)."""

    ratio: float
    pad: tuple[int, int]
    orig: tuple[int, int]

    def to_original(self, dets: np.ndarray) -> np.ndarray:
        """(n, 6 + 3K) detections in input pixels (K keypoints x, y, conf after the class) -> a float32 copy
        with boxes and keypoints in original pixels (clipped)."""
        dets = np.asarray(dets, dtype=np.float32)
        out = np.array(dets, dtype=np.float32, copy=True).reshape(-1, dets.shape[-1] if dets.ndim == 2 else 6)
        out[:, :4] = scale_boxes_back(out[:, :4], self.ratio, self.pad, self.orig)
        if out.shape[1] > 6:
            k = (out.shape[1] - 6) // 3
            kpts = scale_keypoints_back(out[:, 6:].reshape(len(out), k, 3), self.ratio, self.pad, self.orig)
            out[:, 6:] = kpts.reshape(len(out), 3 * k)
        return out


def letterbox_batch(images: Sequence[np.ndarray], imgsz: int) -> tuple[np.ndarray, list[Letterboxed]]:
    """images: (H, W, 3) uint8 RGB each -> (B, 3, imgsz, imgsz) float32 in [0, 1] (C-contiguous) and the
    geometry of each image."""
    batch = np.empty((len(images), 3, imgsz, imgsz), dtype=np.float32)
    geometry = []
    for i, image in enumerate(images):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
        boxed, ratio, pad = letterbox(image, imgsz)
        batch[i] = boxed.transpose(2, 0, 1)
        geometry.append(Letterboxed(ratio, (int(pad[0]), int(pad[1])), (image.shape[0], image.shape[1])))
    batch /= 255.0
    return batch, geometry
