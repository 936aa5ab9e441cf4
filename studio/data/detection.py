"""The detection dataset: items keyed by (epoch, index) so any worker, and any resumed run, builds the
exact same augmented item for the same key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from studio.data.affine import random_affine
from studio.data.augment import AugmentConfig, flips, hsv
from studio.data.cache import ImageCache
from studio.data.decode import read_rgb, resize_long_side
from studio.data.keypoints import scale_keypoints, shift_keypoints, zero_outside
from studio.data.letterbox import letterbox
from studio.data.mosaic import mosaic4
from studio.data.records import ImageRecord
from studio.errors import ConfigError

Loaded = tuple[np.ndarray, tuple[int, int], np.ndarray]  # resized image, orig (h0, w0), labels (n, 5 + 3K)


class DetectionDataset(Dataset):
    """Training (``augment`` given) or validation (``augment`` None) items of ``records``.

    A KEY is ``epoch * len(records) + index``; ``dataset[key]`` uses ``np.random.default_rng([seed, key])``
    and nothing else random, so it is a pure function of (records, imgsz, augment, seed, epochs, key).

    Training (as YOLOv8): with probability ``augment.mosaic`` (never in the last ``close_mosaic`` epochs of
    ``epochs``; always allowed when ``epochs`` is None) a 4-image mosaic of this image and three drawn at
    random, then ``random_affine`` to S x S; otherwise a letterboxed S x S image then ``random_affine``.
    Then HSV jitter and flips. Validation: the letterboxed image (centred, padded with 114).

    Item: dict(image uint8 tensor (3, S, S) RGB; targets float32 tensor (n, 5 + 3K) [cls, x1, y1, x2, y2,
    x_1, y_1, v_1, ..., x_K, y_K, v_K] network-input pixels (crowd boxes dropped; boxes an augmentation
    shrinks to <= 2 px or to <10% of their area dropped with their keypoints; keypoints outside the input
    and unlabeled ones (0, 0, 0)); image_id int; orig_size (h0, w0) of the decoded image; ratio float and
    pad (padw, padh) of the validation letterbox: ``scale_boxes_back(boxes, ratio, pad, orig_size)`` and
    ``scale_keypoints_back`` map validation predictions back to original pixels (for training items they
    describe no real mapping)).

    Keypoints: K is that of the records' ``keypoints`` ((N, K, 3), all records one K; a record without
    keypoints in a pose dataset gets unlabeled ones); K = 0 (no record carries keypoints) gives the
    5-column detection rows. ``flip_idx`` (a permutation of range(K)) reorders keypoints on a left-right
    flip, new[k] = old[flip_idx[k]]; None keeps their order.

    cache: decode and resize every image at construction into RAM (see ``studio.data.cache`` for the cost).
    An image that cannot be decoded raises DatasetFormatError naming the file.
    """

    def __init__(self, records: Sequence[ImageRecord], imgsz: int, augment: AugmentConfig | None, *,
                 seed: int = 0, epochs: int | None = None, cache: bool = False,
                 flip_idx: Sequence[int] | None = None) -> None:
        if imgsz < 32 or imgsz % 32:
            raise ConfigError(f"imgsz {imgsz}: use a multiple of 32 (e.g. 320, 640)")
        if seed < 0:
            raise ConfigError(f"seed {seed}: use 0 or a positive integer")
        self.records = list(records)
        self.imgsz = imgsz
        self.augment = augment
        self.seed = seed
        self.epochs = epochs
        self.num_keypoints = _num_keypoints(self.records)
        self.flip_idx = _check_flip_idx(flip_idx, self.num_keypoints)
        self.cache = ImageCache(self.records, imgsz, fast=augment is not None) if cache else None

    def __len__(self) -> int:
        """The number of images (keys run past it: a key of epoch e is e * len + index)."""
        return len(self.records)

    def mosaic_active(self, epoch: int) -> bool:
        """Whether items of ``epoch`` may be mosaics (False in the last ``close_mosaic`` epochs)."""
        if self.augment is None or self.augment.mosaic <= 0:
            return False
        return self.epochs is None or epoch < self.epochs - self.augment.close_mosaic

    def __getitem__(self, key: int) -> dict[str, Any]:
        key = int(key)
        if key < 0 or not self.records:
            raise IndexError(f"key {key}: keys are 0 or more, over {len(self.records)} images")
        epoch, index = divmod(key, len(self.records))
        record = self.records[index]
        img, orig, labels = self._load(index)
        ratio = self.imgsz / max(orig)
        padw, padh = (self.imgsz - img.shape[1]) // 2, (self.imgsz - img.shape[0]) // 2
        if self.augment is None:
            img = letterbox(img, self.imgsz)[0]
            labels = _shift(labels, padw, padh)
            labels = _clip_nonempty(labels, self.imgsz)
        else:
            rng = np.random.default_rng([self.seed, key])
            img, labels = self._train_item((img, orig, labels), epoch, rng)
        image = torch.from_numpy(np.array(img.transpose(2, 0, 1), dtype=np.uint8, order="C"))
        return {"image": image, "targets": torch.from_numpy(np.array(labels, dtype=np.float32)),
                "image_id": record.image_id, "orig_size": orig, "ratio": ratio, "pad": (padw, padh)}

    def _train_item(self, loaded: Loaded, epoch: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The augmented (S, S, 3) image and its (n, 5 + 3K) labels; ``loaded`` is ``self._load`` of its
        index."""
        cfg, s = self.augment, self.imgsz
        assert cfg is not None
        if self.mosaic_active(epoch) and rng.random() < cfg.mosaic:
            others = [self._load(int(i)) for i in rng.integers(0, len(self.records), 3)]
            parts = [loaded, *others]
            img, labels = mosaic4([p[0] for p in parts], [p[2] for p in parts], s, rng)
        else:
            img, _, (padw, padh) = letterbox(loaded[0], s)
            labels = _shift(loaded[2], padw, padh)
        img, labels = random_affine(img, labels, rng, out_size=s, degrees=cfg.degrees,
                                    translate=cfg.translate, scale=cfg.scale, shear=cfg.shear)
        img = hsv(img, rng, hgain=cfg.hsv_h, sgain=cfg.hsv_s, vgain=cfg.hsv_v)
        return flips(img, labels, rng, lr=cfg.fliplr, ud=cfg.flipud, flip_idx=self.flip_idx)

    def _load(self, index: int) -> Loaded:
        """(image resized to long side S (read-only when cached), decoded (h0, w0), labels (n, 5 + 3K)
        [cls, x1, y1, x2, y2, keypoints...] in the resized image's pixels, crowd objects left out)."""
        record = self.records[index]
        if self.cache is not None:
            img, orig = self.cache.get(index)
        else:
            decoded = read_rgb(record.path)
            orig = (int(decoded.shape[0]), int(decoded.shape[1]))
            img = resize_long_side(decoded, self.imgsz, fast=self.augment is not None)
        # boxes are in the pixels of the size the record declares (the decoded size when it declares none)
        declared_h = record.height if record.height > 0 else orig[0]
        declared_w = record.width if record.width > 0 else orig[1]
        sx, sy = img.shape[1] / declared_w, img.shape[0] / declared_h
        keep = ~record.crowd
        k = self.num_keypoints
        labels = np.zeros((int(keep.sum()), 5 + 3 * k), dtype=np.float32)
        labels[:, 0] = record.classes[keep]
        labels[:, [1, 3]] = record.boxes[keep][:, [0, 2]] * sx
        labels[:, [2, 4]] = record.boxes[keep][:, [1, 3]] * sy
        if k and record.keypoints is not None:
            labels[:, 5:] = record.keypoints[keep].reshape(-1, 3 * k)
            labels = zero_outside(scale_keypoints(labels, sx, sy), img.shape[1], img.shape[0])
        return img, orig, labels


def _num_keypoints(records: Sequence[ImageRecord]) -> int:
    """K of the records' keypoints (0 when none carries any); ConfigError when records disagree."""
    ks = {int(r.keypoints.shape[1]) for r in records if r.keypoints is not None}
    if len(ks) > 1:
        raise ConfigError(f"the records carry different keypoint counts {sorted(ks)}: one dataset has one K")
    return ks.pop() if ks else 0


def _check_flip_idx(flip_idx: Sequence[int] | None, k: int) -> tuple[int, ...] | None:
    if flip_idx is None or k == 0:
        return None
    flip = tuple(int(i) for i in flip_idx)
    if sorted(flip) != list(range(k)):
        raise ConfigError(f"flip_idx {list(flip)} is not a permutation of 0..{k - 1} (K = {k} keypoints)")
    return flip


def _shift(labels: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Boxes and keypoints moved by (dx, dy) pixels."""
    out = shift_keypoints(labels, dx, dy)
    out[:, [1, 3]] += dx
    out[:, [2, 4]] += dy
    return out


def _clip_nonempty(labels: np.ndarray, size: int) -> np.ndarray:
    """Boxes clipped to the S x S input, those left without width or height dropped with their keypoints;
    keypoints outside the input (0, 0, 0)."""
    out = zero_outside(labels, size, size)
    np.clip(out[:, 1:5], 0, size, out=out[:, 1:5])
    return out[(out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2])]
