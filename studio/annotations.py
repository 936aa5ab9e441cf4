"""The domain model: plain dataclasses shared by io, store, data and the GUI.

Formats (DESIGN.md section 3):
* a box is ``(x1, y1, x2, y2)`` in pixels of the (EXIF-oriented) input image, float64;
* keypoints are an ``(K, 3)`` float64 array per object: x, y in pixels, v in {0, 1, 2}
  (0 not labeled, 1 labeled but occluded, 2 visible);
* a category keeps its COCO id; YOLO class index i is the i-th category sorted by id.

Fields the studio does not use (COCO segmentation, attributes, info, licenses, ...) ride along in
``extra`` dicts and are written back verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SPLITS = ("train", "val", "test")
STATUSES = ("unlabeled", "in_progress", "done")


@dataclass(frozen=True)
class Category:
    """One class. ``skeleton`` holds COCO's 1-based keypoint index pairs."""

    id: int
    name: str
    supercategory: str = ""
    keypoints: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)


@dataclass
class Annotation:
    """One object on one image.

    box: (x1, y1, x2, y2) pixels; keypoints: (K, 3) float64 array or None.
    """

    category_id: int
    box: tuple[float, float, float, float]
    keypoints: np.ndarray | None = None
    iscrowd: bool = False
    id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass
class Sample:
    """One image and its objects.

    file_name: the name as the source stores it (COCO ``file_name``, or the path relative to the
    dataset root for YOLO); path: the resolved image file (None when it could not be found);
    labeled: False for an image that has no label file (a YOLO background image or an image nobody
    labeled yet); status: one of STATUSES.
    """

    file_name: str
    path: Path | None
    width: int
    height: int
    split: str = "train"
    annotations: list[Annotation] = field(default_factory=list)
    id: int | None = None
    labeled: bool = True
    status: str = "done"
    extra: dict[str, Any] = field(default_factory=dict)

    def boxes(self) -> np.ndarray:
        """(N, 4) float64 xyxy pixels."""
        if not self.annotations:
            return np.zeros((0, 4), dtype=np.float64)
        return np.asarray([a.box for a in self.annotations], dtype=np.float64)

    def category_ids(self) -> np.ndarray:
        """(N,) int64 category ids."""
        return np.asarray([a.category_id for a in self.annotations], dtype=np.int64)

    def keypoints(self, num_keypoints: int) -> np.ndarray:
        """(N, K, 3) float64; objects without keypoints get zeros (v = 0, not labeled)."""
        out = np.zeros((len(self.annotations), num_keypoints, 3), dtype=np.float64)
        for i, ann in enumerate(self.annotations):
            if ann.keypoints is not None:
                out[i] = ann.keypoints
        return out


@dataclass
class Dataset:
    """A whole labeled dataset, independent of its file format.

    categories: in the order of their COCO ids (YOLO index order); kpt_shape: (K, 3) or (K, 2) for
    pose datasets, else None; flip_idx: the left/right keypoint permutation, or None;
    extra: top-level fields kept verbatim (COCO info, licenses, ...); root: the dataset's folder.
    """

    categories: list[Category]
    samples: list[Sample]
    kpt_shape: tuple[int, int] | None = None
    flip_idx: tuple[int, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    root: Path | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.categories]

    @property
    def num_keypoints(self) -> int:
        return self.kpt_shape[0] if self.kpt_shape else 0

    def keypoint_names(self) -> tuple[str, ...]:
        """Keypoint names of the first category that has them ('' when none is named)."""
        return next((c.keypoints for c in self.categories if c.keypoints), ())

    def skeleton(self) -> tuple[tuple[int, int], ...]:
        """COCO 1-based skeleton pairs of the first category that has one."""
        return next((c.skeleton for c in self.categories if c.skeleton), ())

    def class_index(self) -> dict[int, int]:
        """COCO category id -> YOLO class index (position by sorted id)."""
        return {c.id: i for i, c in enumerate(sorted(self.categories, key=lambda c: c.id))}
