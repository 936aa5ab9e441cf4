"""Writing COCO json: ``save_coco`` (one file) and ``save_coco_splits`` (a folder per split).

Boxes go from the studio's (x1, y1, x2, y2) float64 pixels to COCO ``bbox`` [x, y, w, h] as exact
floats; keypoints (K, 3) to a flat [x, y, v, ...] list with v an int (a fractional v, as some
COCO-WholeBody files carry, is written as is) and ``num_keypoints`` recounted (v > 0). An object
without ``area`` / ``segmentation`` in its extra gets w * h and []. Ids are kept when valid and
unique; others are numbered from the largest kept id + 1 (from 1 when none). Every ``extra`` field
is written back verbatim. Files are written atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from studio.annotations import SPLITS, Annotation, Category, Dataset, Sample
from studio.io.images import ImageReadError, read_image_size
from studio.io.yolo_save import relative_name
from studio.utils.atomic import atomic_write_text, place_file
from studio.utils.gc_pause import gc_paused

IMAGE_MODES = ("link", "copy", "none")
_TOP_FIELDS = ("images", "annotations", "categories")

_NOTES = {
    "image_ids": "gave new ids to {n} images whose id was repeated",
    "annotation_ids": "gave new ids to {n} objects whose id was repeated",
    "unknown_category": "skipped {n} objects whose category id is not one of the dataset's categories",
    "no_size": "wrote width and height 0 for {n} images of unknown size (their files were not found)",
    "keypoints_shape": "dropped keypoints of {n} objects that are not (K, 3) arrays",
    "missing_image": "{n} images were not found, so not placed under images/<split>/ (their entries "
                     "were written)",
    "renamed": "renamed {n} images whose names collided in the layout images/<split>/<name>",
    "unknown_split": "put {n} images of unknown splits into train",
}


def save_coco(dataset: Dataset, json_path: Path | str, *,
              samples: Sequence[Sample] | None = None) -> list[str]:
    """Write ``samples`` (default: all) of ``dataset`` as one COCO json; returns notes on what changed.

    Top level: the dataset's extra fields (info, licenses, ...), then images, annotations,
    categories (in Dataset order, with their ids, supercategories, keypoint names and skeletons).
    """
    counts: Counter[str] = Counter()
    _write_json(json_path, dataset, dataset.samples if samples is None else samples, counts)
    return [_NOTES[key].format(n=counts[key]) for key in _NOTES if counts[key]]


def _write_json(json_path: Path | str, dataset: Dataset, samples: Sequence[Sample],
                counts: Counter[str]) -> None:
    """Compact UTF-8 json (no spaces, non-ASCII kept), written atomically."""
    with gc_paused():
        data = coco_dict(dataset, samples, counts)
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_plain)
    atomic_write_text(json_path, text)


def coco_dict(dataset: Dataset, samples: Sequence[Sample], counts: Counter[str]) -> dict[str, Any]:
    """The COCO json object for ``samples``; ``counts`` collects note keys."""
    image_ids = _assign_ids([s.id for s in samples], counts, "image_ids")
    ann_ids = iter(_assign_ids([a.id for s in samples for a in s.annotations], counts, "annotation_ids"))
    known = {c.id for c in dataset.categories}
    images, annotations = [], []
    for sample, image_id in zip(samples, image_ids, strict=True):
        images.append(_image(sample, image_id, counts))
        for ann in sample.annotations:
            ann_id = next(ann_ids)
            if ann.category_id not in known:
                counts["unknown_category"] += 1
                continue
            annotations.append(_annotation(ann, ann_id, image_id, counts))
    out = {k: v for k, v in dataset.extra.items() if k not in _TOP_FIELDS}
    out["images"] = images
    out["annotations"] = annotations
    out["categories"] = [_category(c) for c in dataset.categories]
    return out


def _valid_id(value: Any) -> int | None:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0:
        return int(value)
    return None


def _assign_ids(ids: list[Any], counts: Counter[str], note: str) -> list[int]:
    """Keep valid first uses; number the rest (missing or repeated) from the largest kept id + 1."""
    next_id = max((i for i in map(_valid_id, ids) if i is not None), default=0) + 1
    seen: set[int] = set()
    out = []
    for value in ids:
        kept = _valid_id(value)
        if kept is None or kept in seen:
            if kept is not None:
                counts[note] += 1
            kept = next_id
            next_id += 1
        seen.add(kept)
        out.append(kept)
    return out


def _merge(own: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Own fields first, then the extra fields they do not override."""
    for key, value in extra.items():
        if key not in own:
            own[key] = value
    return own


def _image(sample: Sample, image_id: int, counts: Counter[str]) -> dict[str, Any]:
    width, height = int(sample.width), int(sample.height)
    if (width <= 0 or height <= 0) and sample.path is not None:
        with contextlib.suppress(ImageReadError):
            width, height = read_image_size(sample.path)
    if width <= 0 or height <= 0:
        counts["no_size"] += 1
    own = {"id": image_id, "file_name": sample.file_name, "width": width, "height": height}
    return _merge(own, sample.extra)


def _annotation(ann: Annotation, ann_id: int, image_id: int, counts: Counter[str]) -> dict[str, Any]:
    x1, y1, x2, y2 = (float(v) for v in ann.box)
    w, h = x2 - x1, y2 - y1
    own: dict[str, Any] = {
        "id": ann_id, "image_id": image_id, "category_id": int(ann.category_id), "bbox": [x1, y1, w, h],
        "area": ann.extra.get("area", w * h), "iscrowd": int(bool(ann.iscrowd)),
        "segmentation": ann.extra.get("segmentation", []),
    }
    if ann.keypoints is not None:
        kpts = np.asarray(ann.keypoints, dtype=np.float64)
        if kpts.ndim == 2 and kpts.shape[1] == 3:
            flat = kpts.ravel().tolist()
            flat[2::3] = [int(v) if v.is_integer() else v for v in flat[2::3]]  # keep 0.087 scores
            own["keypoints"] = flat
            own["num_keypoints"] = int(np.count_nonzero(kpts[:, 2] > 0))
        else:
            counts["keypoints_shape"] += 1
    return _merge(own, ann.extra)


def _category(category: Category) -> dict[str, Any]:
    own: dict[str, Any] = {"id": int(category.id), "name": category.name,
                           "supercategory": category.supercategory}
    if category.keypoints or category.skeleton:
        own["keypoints"] = list(category.keypoints)
        own["skeleton"] = [[int(a), int(b)] for a, b in category.skeleton]
    return _merge(own, category.extra)


def _plain(value: Any) -> Any:
    """json.dumps fallback for numpy values that reach an extra dict."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be written to COCO json: {value!r}")


def save_coco_splits(dataset: Dataset, out_dir: Path | str, *, images: str = "link") -> list[str]:
    """Write ``out_dir/annotations/<instances|person_keypoints>_<split>.json`` per split present and
    place the images at ``out_dir/images/<split>/<name>`` (``images``: "link" = hard link, else
    copy; "copy"; "none"), with file_name = <name>, so load_coco finds them by its
    ``<json folder>/../images/<split>`` rule."""
    if images not in IMAGE_MODES:
        raise ValueError(f"images={images!r}; choose one of {', '.join(IMAGE_MODES)}")
    out_dir = Path(out_dir)
    counts: Counter[str] = Counter()
    groups: dict[str, list[Sample]] = {}
    # image ids are numbered over the whole dataset, so no two split files share one (predictions of the
    # folder as one dataset stay unambiguous)
    ids = _assign_ids([s.id for s in dataset.samples], counts, "image_ids")
    for sample, image_id in zip(dataset.samples, ids, strict=True):
        sample = replace(sample, id=image_id)
        split = sample.split if sample.split in SPLITS else "train"
        counts["unknown_split"] += sample.split not in SPLITS
        groups.setdefault(split, []).append(sample)
    prefix = "person_keypoints" if dataset.kpt_shape else "instances"
    for split in (s for s in SPLITS if s in groups):
        placed = _renamed(groups[split], split, counts)
        if images != "none":
            folder = out_dir / "images" / split
            jobs = [(s.path, folder / p.file_name) for s, p in zip(groups[split], placed, strict=True)]
            with ThreadPoolExecutor(max_workers=8, thread_name_prefix="coco-images") as pool:
                counts["missing_image"] += sum(pool.map(lambda job: not place_file(*job, images), jobs))
        _write_json(out_dir / "annotations" / f"{prefix}_{split}.json", dataset, placed, counts)
    return [_NOTES[key].format(n=counts[key]) for key in _NOTES if counts[key]]


def _renamed(samples: list[Sample], split: str, counts: Counter[str]) -> list[Sample]:
    """Shallow copies with file_name = a unique path under images/<split>/ (case-insensitive)."""
    taken: set[str] = set()
    out = []
    for sample in samples:
        name = relative_name(sample.file_name, split)
        if name.lower() in taken:
            counts["renamed"] += 1
            stem, ext = os.path.splitext(name)
            number = 2
            while f"{stem}_{number}{ext}".lower() in taken:
                number += 1
            name = f"{stem}_{number}{ext}"
        taken.add(name.lower())
        out.append(replace(sample, file_name=name))
    return out

