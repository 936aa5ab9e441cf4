"""Rows the project store hands out: what the GUI and the CLI read from a project."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class ImageRow:
    """One image of a project. path: absolute path of the image file (resolved from the stored
    relative path); status: 'unlabeled' | 'in_progress' | 'done'; num_objects: its annotation count."""

    id: int
    file_name: str
    path: Path
    width: int
    height: int
    split: str
    status: str
    num_objects: int


@dataclass(frozen=True)
class AnnotationRow:
    """One stored object. id: the store's row id (what edits name); box: xyxy pixels;
    keypoints: (K, 3) float64 or None; coco_id: the source's annotation id or None."""

    id: int
    image_id: int
    category_id: int
    box: tuple[float, float, float, float]
    keypoints: np.ndarray | None
    iscrowd: bool
    coco_id: int | None
