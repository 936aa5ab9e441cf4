"""Writing a Dataset as an Ultralytics YOLO folder (``save_yolo``; re-exported by studio.io.yolo).

Output: ``out_dir/data.yaml``, ``out_dir/labels/<split>/<name>.txt`` (one row per object:
``cls cx cy w h [x y v ...]``, 6 decimals) and ``out_dir/images/<split>/<name>``. Every file is
written atomically (studio/utils/atomic.py); images are hard links (falling back to copies).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np

from studio.annotations import SPLITS, Annotation, Dataset, Sample
from studio.io.images import ImageReadError, read_image_size
from studio.io.yolo_labels import format_row
from studio.io.yolo_yaml import data_yaml_text
from studio.utils.atomic import atomic_write_text, place_file

IMAGE_MODES = ("link", "copy", "none")
_MIN_CHANGE = 1e-3  # pixels: clipping smaller than this is float noise, not worth a note
_WINDOW = 2048  # samples formatted before their files are written by the thread pool
_MIN_SIZE = 5e-7  # normalised: a narrower box would be written as 0.000000 wide

_NOTES = {
    "crowd": "skipped {n} crowd boxes (YOLO has no crowd flag)",
    "segmentation": "dropped segmentation polygons of {n} objects (YOLO detect labels hold boxes only)",
    "unknown_category": "skipped {n} objects whose category id is not one of the dataset's categories",
    "no_size": "wrote no label file for {n} images of unknown size (boxes cannot be normalised)",
    "clipped": "clipped {n} boxes to the image bounds (YOLO coordinates lie in [0, 1])",
    "keypoint_clipped": "clipped {n} keypoints to the image bounds (YOLO coordinates lie in [0, 1])",
    "empty": "skipped {n} boxes of zero width or height inside the image (at 6 decimals)",
    "keypoints_dropped": "dropped keypoints of {n} objects (the dataset has no kpt_shape)",
    "keypoints_mismatch": "wrote keypoints of {n} objects as not labeled (their count is not kpt_shape's)",
    "missing_image": "{n} images were not found, so not placed under images/ (their labels were written)",
    "renamed": "renamed {n} images whose names collided in the YOLO layout (images/<split>/<name>)",
    "unknown_split": "put {n} images of unknown splits into train",
}


def save_yolo(dataset: Dataset, out_dir: Path | str, *, images: str = "link") -> list[str]:
    """Write ``dataset`` under ``out_dir`` as YOLO; returns notes on what YOLO could not carry.

    images: "link" (hard link, else copy), "copy", or "none" (labels and data.yaml only). A sample
    with labeled=False gets no label file (a background image); a labeled one without objects gets an
    empty file. Crowd boxes are skipped and boxes are clipped to the image (both noted). The data.yaml
    keeps COCO ids, supercategories, keypoint names and skeleton under ``coco:`` for load_yolo.
    """
    if images not in IMAGE_MODES:
        raise ValueError(f"images={images!r}; choose one of {', '.join(IMAGE_MODES)}")
    out_dir = Path(out_dir)
    counts: Counter[str] = Counter()
    class_of = dataset.class_index()
    num_keypoints = dataset.kpt_shape[0] if dataset.kpt_shape else None
    names = _output_names(dataset.samples, counts)
    workers = max(1, min(8, 2 * (os.cpu_count() or 1)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yolo-write") as pool:
        for start in range(0, len(names), _WINDOW):
            jobs = [_job(sample, split, name, out_dir, images, class_of, num_keypoints, counts)
                    for sample, (split, name) in zip(dataset.samples[start:start + _WINDOW],
                                                     names[start:start + _WINDOW], strict=True)]
            counts.update(key for key in pool.map(partial(_write, mode=images), jobs) if key)
    splits_used = {split for split, _ in names}
    text, notes = data_yaml_text(dataset, [s for s in SPLITS if s in splits_used])
    atomic_write_text(out_dir / "data.yaml", text)
    return notes + [_NOTES[key].format(n=counts[key]) for key in _NOTES if counts[key]]


class _Job(NamedTuple):
    """One sample's files: label path and text (None: no label file), image source and target."""

    label: str | None
    text: str | None
    source: Path | None
    target: str | None


def _job(sample: Sample, split: str, name: str, out_dir: Path, images: str, class_of: dict[int, int],
         num_keypoints: int | None, counts: Counter[str]) -> _Job:
    """Format one sample's rows (this thread); the files are written by _write (worker threads)."""
    label = text = None
    if sample.labeled:
        rows = _rows(sample, class_of, num_keypoints, counts)
        if rows is not None:
            label = os.path.join(out_dir, "labels", split, os.path.splitext(name)[0] + ".txt")
            text = "".join(row + "\n" for row in rows)
    target = None if images == "none" else os.path.join(out_dir, "images", split, name)
    return _Job(label, text, sample.path, target)


def _write(job: _Job, mode: str) -> str | None:
    """Write a job's label file and place its image; the key of a note, or None (worker thread)."""
    if job.label is not None and job.text is not None:
        atomic_write_text(job.label, job.text)
    if job.target is None:
        return None
    return None if place_file(job.source, Path(job.target), mode) else "missing_image"


def _output_names(samples: list[Sample], counts: Counter[str]) -> list[tuple[str, str]]:
    """(split, relative image name) per sample, unique per split by label stem (case-insensitive)."""
    taken: set[tuple[str, str]] = set()
    out = []
    for sample in samples:
        split = sample.split
        if split not in SPLITS:
            split = "train"
            counts["unknown_split"] += 1
        name = relative_name(sample.file_name, split)
        if _key(split, name) in taken:
            counts["renamed"] += 1
            name = _flattened(sample.file_name)
            stem, ext = os.path.splitext(name)
            number = 2
            while _key(split, name) in taken:
                name = f"{stem}_{number}{ext}"
                number += 1
        taken.add(_key(split, name))
        out.append((split, name))
    return out


def _key(split: str, name: str) -> tuple[str, str]:
    return split, os.path.splitext(name)[0].lower()


def relative_name(file_name: str, split: str) -> str:
    """Where a sample goes under ``images/<split>/``: its file_name less a leading ``images/<split>/``
    or ``<split>/`` (``train2017`` counts as ``train``), else its base name. Never holds an ``images``
    folder (the label lookup would break) nor ``..``."""
    parts = [p for p in file_name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts:
        return "image"
    if len(parts) > 2 and parts[0] == "images" and _is_split_folder(parts[1], split):
        rest = parts[2:]
    elif len(parts) > 1 and _is_split_folder(parts[0], split):
        rest = parts[1:]
    else:
        rest = parts[-1:]
    if ".." in rest or "images" in rest[:-1] or ":" in rest[0]:
        rest = parts[-1:]
    return "/".join(rest)


def _is_split_folder(folder: str, split: str) -> bool:
    return folder == split or (folder.startswith(split) and folder[len(split):].isdigit())


def _flattened(file_name: str) -> str:
    """The whole file_name as one safe file name (for names that collide)."""
    parts = [p for p in file_name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "_".join(p.replace(":", "_") for p in parts) or "image"


def _rows(sample: Sample, class_of: dict[int, int], num_keypoints: int | None,
          counts: Counter[str]) -> list[str] | None:
    """Label rows of one sample, or None when its size is unknown (nothing can be normalised)."""
    width, height = _size(sample)
    if width <= 0 or height <= 0:
        counts["no_size"] += 1
        return None
    rows = []
    for ann in sample.annotations:
        if ann.iscrowd:
            counts["crowd"] += 1
            continue
        cls = class_of.get(ann.category_id)
        if cls is None:
            counts["unknown_category"] += 1
            continue
        if ann.extra.get("segmentation"):
            counts["segmentation"] += 1
        box = _clip_box(ann.box, width, height, counts)
        if (box[2] - box[0]) / width < _MIN_SIZE or (box[3] - box[1]) / height < _MIN_SIZE:
            counts["empty"] += 1
            continue
        keypoints = _keypoints(ann, num_keypoints, width, height, counts)
        rows.append(format_row(cls, box, width, height, keypoints))
    return rows


def _size(sample: Sample) -> tuple[int, int]:
    if sample.width > 0 and sample.height > 0:
        return sample.width, sample.height
    if sample.path is not None:
        with contextlib.suppress(ImageReadError):
            return read_image_size(sample.path)
    return 0, 0


def _clip_box(box: tuple[float, float, float, float], width: int, height: int,
              counts: Counter[str]) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    if x1 >= 0.0 and y1 >= 0.0 and x2 <= width and y2 <= height:
        return box
    clipped = (min(max(x1, 0.0), width), min(max(y1, 0.0), height),
               min(max(x2, 0.0), width), min(max(y2, 0.0), height))
    if max(abs(a - b) for a, b in zip(clipped, box, strict=True)) > _MIN_CHANGE:
        counts["clipped"] += 1
    return clipped


def _keypoints(ann: Annotation, num_keypoints: int | None, width: int, height: int,
               counts: Counter[str]) -> np.ndarray | None:
    """(K, 3) pixels for a pose dataset (zeros when the object has none), None for detect."""
    if num_keypoints is None:
        if ann.keypoints is not None and np.any(ann.keypoints[:, 2] > 0):
            counts["keypoints_dropped"] += 1
        return None
    out = np.zeros((num_keypoints, 3), dtype=np.float64)
    if ann.keypoints is None:
        return out
    if ann.keypoints.shape != (num_keypoints, 3):
        counts["keypoints_mismatch"] += 1
        return out
    out[:] = ann.keypoints
    labeled = out[:, 2] > 0
    coords = out[labeled, :2]
    clipped = np.clip(coords, 0.0, np.asarray([width, height], dtype=np.float64))
    counts["keypoint_clipped"] += int(np.any(np.abs(clipped - coords) > _MIN_CHANGE, axis=1).sum())
    out[labeled, :2] = clipped
    return out

