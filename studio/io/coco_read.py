"""COCO ``images`` and ``annotations`` entries -> Samples and Annotations, every fault a Problem.

An image is ``{"id": int > 0, "file_name": str, "width": int, "height": int, ...}``; an annotation is
``{"id", "image_id", "category_id", "bbox": [x, y, w, h] pixels, "iscrowd": 0|1,
"keypoints": [x, y, v] * K, ...}``. Inside the studio a box is (x1, y1, x2, y2) float64 pixels and
keypoints are (K, 3) float64 (x, y, v). Fields the studio does not use (segmentation, area,
num_keypoints, license, coco_url, ...) ride in ``extra`` verbatim. Bad images keep their entry (with
no id when the id is bad); bad annotations are skipped. Entries are named in messages as
"annotation id 17 (index 16)" (line None: a json line is not cheap to find for an entry).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from studio.annotations import Annotation, Sample
from studio.io.coco_categories import is_coco_id, short, shown
from studio.io.coco_sniff import json_type
from studio.io.problems import (
    CoordinateOutOfRange,
    DuplicateCocoId,
    InvalidCocoId,
    InvalidEntry,
    InvalidField,
    KeypointCountMismatch,
    MissingField,
    NonPositiveSize,
    NumKeypointsMismatch,
    Problem,
    UnknownReference,
)

IMAGE_FIELDS = frozenset(("id", "file_name", "width", "height"))
ANNOTATION_FIELDS = frozenset(("id", "image_id", "category_id", "bbox", "iscrowd", "keypoints"))
_NUMBER = frozenset((int, float))
_CROWD_TYPES = frozenset((int, bool))
_MARGIN = 1.0  # pixels a box may stick out of its image before it is an error
_BBOX = "[x, y, width, height] of finite numbers"


def parse_images(raw: list, path: Path, problems: list[Problem],
                 split_of: Callable[[str], str]) -> tuple[list[Sample], dict[int, Sample]]:
    """Samples in file order and the id -> Sample map of those with a valid, unique id.

    An unknown size is 0 (the caller reads it from the image); ``path`` is left None for the caller.
    """
    samples: list[Sample] = []
    by_id: dict[int, Sample] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            problems.append(InvalidEntry(path, None, f"images[{index}]", json_type(item)))
            continue
        iid = item.get("id")
        entry = f"image id {iid} (index {index})"
        if not is_coco_id(iid):
            entry = f"image (index {index})"
            problems.append(InvalidCocoId(path, None, entry, shown(iid)) if "id" in item
                            else MissingField(path, None, entry, "id"))
            iid = None
        elif iid in by_id:
            problems.append(DuplicateCocoId(path, None, "image", iid))
            iid = None
        file_name = item.get("file_name")
        if not isinstance(file_name, str) or not file_name:
            problems.append(InvalidField(path, None, entry, "file_name", "the image's path relative to "
                                         "the images folder", short(file_name)) if "file_name" in item
                            else MissingField(path, None, entry, "file_name"))
            file_name = ""
        width = _size_field(item, "width", entry, path, problems)
        height = _size_field(item, "height", entry, path, problems)
        sample = Sample(file_name=file_name, path=None, width=width, height=height,
                        split=split_of(file_name), id=iid, labeled=True, status="done",
                        extra={k: v for k, v in item.items() if k not in IMAGE_FIELDS})
        samples.append(sample)
        if iid is not None:
            by_id[iid] = sample
    return samples, by_id


def _size_field(item: dict, key: str, entry: str, path: Path, problems: list[Problem]) -> int:
    """A positive int width / height (an integral float is accepted), else 0 (unknown)."""
    value = item.get(key)
    if type(value) is int and value > 0:
        return value
    if type(value) is float and value > 0 and value.is_integer():
        return int(value)
    if key in item:
        problems.append(InvalidField(path, None, entry, key, "a positive integer (pixels)", short(value)))
    return 0


class AnnotationReader:
    """Parses annotation entries onto their samples; ``kpt_counts`` maps category id -> K.

    ``read`` is the hot path (a million annotations take about a second): plain dict and float work,
    numpy only for keypoints, messages built only when something is wrong.
    """

    def __init__(self, path: Path, problems: list[Problem], images: dict[int, Sample],
                 kpt_counts: dict[int, int]) -> None:
        self.path = path
        self.problems = problems
        self.images = images
        self.kpt_counts = kpt_counts
        self.seen: set[int] = set()

    def read_all(self, raw: list) -> None:
        read = self.read
        for index, item in enumerate(raw):
            if type(item) is dict:
                read(item, index)
            else:
                self.problems.append(InvalidEntry(self.path, None, f"annotations[{index}]", json_type(item)))

    def read(self, item: dict, index: int) -> None:
        """Append one annotation to its sample, or report why it is skipped."""
        aid = item.get("id")
        if type(aid) is not int or aid <= 0 or aid in self.seen:
            return self._bad_id(item, aid, index)
        self.seen.add(aid)
        image_id, cid = item.get("image_id"), item.get("category_id")
        sample = self.images.get(image_id) if type(image_id) is int else None
        k = self.kpt_counts.get(cid) if type(cid) is int else None
        if sample is None or k is None:
            return self._bad_reference(item, sample, k, _entry(aid, index))
        keypoints = None
        values = item.get("keypoints")
        if values is not None and values != []:
            keypoints = self._keypoints(item, values, k, _entry(aid, index))
            if keypoints is None:
                return None
        bbox = item.get("bbox")
        if type(bbox) is list and len(bbox) == 4 and _NUMBER.issuperset(map(type, bbox)):
            x, y, w, h = float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])
            if not (w > 0 and h > 0 and math.isfinite(x + y + w + h)):
                return self._bad_box(item, bbox, _entry(aid, index))
            box = (x, y, x + w, y + h)
        else:
            box = self._other_box(item, bbox, keypoints, _entry(aid, index))
            if box is None:
                return None
        width, height = sample.width, sample.height
        if width > 0 and height > 0 and not (box[0] >= -_MARGIN and box[1] >= -_MARGIN
                                             and box[2] <= width + _MARGIN and box[3] <= height + _MARGIN):
            return self._outside(box, sample, _entry(aid, index))
        iscrowd = item.get("iscrowd", 0)
        if type(iscrowd) not in _CROWD_TYPES or iscrowd not in (0, 1):
            return self._fail(InvalidField(self.path, None, _entry(aid, index), "iscrowd", "0 or 1",
                                           short(iscrowd)))
        extra = item.copy()
        for key in ANNOTATION_FIELDS:
            extra.pop(key, None)
        if keypoints is None and "keypoints" in item:
            extra["keypoints"] = values  # an empty list or null, kept verbatim
        sample.annotations.append(Annotation(category_id=cid, box=box, keypoints=keypoints,
                                             iscrowd=bool(iscrowd), id=aid, extra=extra))
        return None

    def _fail(self, problem: Problem) -> None:
        self.problems.append(problem)

    def _bad_id(self, item: dict, aid: Any, index: int) -> None:
        if is_coco_id(aid):
            return self._fail(DuplicateCocoId(self.path, None, "annotation", aid))
        entry = f"annotation (index {index})"
        return self._fail(InvalidCocoId(self.path, None, entry, shown(aid)) if "id" in item
                          else MissingField(self.path, None, entry, "id"))

    def _bad_reference(self, item: dict, sample: Sample | None, k: int | None, entry: str) -> None:
        for key, found in (("image_id", sample), ("category_id", k)):
            if found is None:
                self._fail(UnknownReference(self.path, None, entry, key, shown(item.get(key)))
                           if key in item else MissingField(self.path, None, entry, key))

    def _keypoints(self, item: dict, values: Any, k: int, entry: str) -> np.ndarray | None:
        """(K, 3) float64, or None when they are bad (reported)."""
        if type(values) is not list:
            return self._fail(InvalidField(self.path, None, entry, "keypoints", "a list [x, y, v, ...]",
                                           short(values)))
        if len(values) != 3 * k:
            return self._fail(KeypointCountMismatch(self.path, None, entry, len(values), 3 * k))
        try:
            array = np.asarray(values)
        except (ValueError, TypeError, OverflowError):
            array = None
        if array is None or array.dtype.kind not in "iuf" or array.shape != (3 * k,):
            return self._fail(InvalidField(self.path, None, entry, "keypoints", "numbers [x, y, v, ...]",
                                           short(values)))
        array = array.astype(np.float64).reshape(k, 3)
        if not np.isfinite(array).all():
            return self._fail(InvalidField(self.path, None, entry, "keypoints", "finite numbers",
                                           short(values)))
        declared = item.get("num_keypoints")
        if type(declared) is int:
            counted = int(np.count_nonzero(array[:, 2] > 0))
            if declared != counted:
                self._fail(NumKeypointsMismatch(self.path, None, entry, declared, counted))
        return array

    def _bad_box(self, item: dict, bbox: list, entry: str) -> None:
        x, y, w, h = (float(v) for v in bbox)
        if not math.isfinite(x + y + w + h):  # NaN or infinity anywhere makes the sum non-finite
            return self._fail(InvalidField(self.path, None, entry, "bbox", _BBOX, short(bbox)))
        return self._fail(NonPositiveSize(self.path, None, w, h, entry))

    def _other_box(self, item: dict, bbox: Any, keypoints: np.ndarray | None,
                   entry: str) -> tuple[float, float, float, float] | None:
        """The box of an annotation without a valid ``bbox``: from its visible keypoints when it has
        no bbox at all, else None (reported)."""
        if "bbox" in item:
            return self._fail(InvalidField(self.path, None, entry, "bbox", _BBOX, short(bbox)))
        if keypoints is None or not (keypoints[:, 2] > 0).any():
            return self._fail(MissingField(self.path, None, entry, "bbox"))
        xy = keypoints[keypoints[:, 2] > 0, :2]
        x1, y1 = xy.min(axis=0)
        x2, y2 = xy.max(axis=0)
        return float(x1), float(y1), float(x2), float(y2)

    def _outside(self, box: tuple[float, float, float, float], sample: Sample, entry: str) -> None:
        x1, y1, x2, y2 = box
        size = f"the {sample.width}x{sample.height} image"
        self._fail(CoordinateOutOfRange(self.path, None, f"{entry} bbox [x, y, width, height]",
                                        (x1, y1, x2 - x1, y2 - y1), size))


def _entry(aid: int, index: int) -> str:
    return f"annotation id {aid} (index {index})"
