"""COCO ``categories``: parsing into Category objects, keypoint counts per category, flip_idx.

A category is ``{"id": int > 0, "name": str, "supercategory": str, "keypoints": [names],
"skeleton": [[a, b], ...] (1-based), ...}``; every other field rides in ``Category.extra``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from studio.annotations import Category
from studio.io.coco_sniff import json_type
from studio.io.problems import (
    DuplicateCocoId,
    InvalidCocoId,
    InvalidEntry,
    InvalidField,
    MissingField,
    Problem,
    SkeletonOutOfRange,
    UnnamedKeypoints,
)

CATEGORY_FIELDS = frozenset(("id", "name", "supercategory", "keypoints", "skeleton"))


def short(value: Any, limit: int = 60) -> str:
    """A repr of ``value`` cut to ``limit`` characters, for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def shown(value: Any) -> Any:
    """``value`` itself when it is a short scalar, else a cut-down repr (messages repr what they get)."""
    if isinstance(value, (list, dict)) or (isinstance(value, str) and len(value) > 60):
        return short(value)
    return value


def is_coco_id(value: Any) -> bool:
    """A COCO id is a positive int (a bool is not one)."""
    return type(value) is int and value > 0


def parse_categories(raw: Any, path: Path, problems: list[Problem]) -> list[Category]:
    """Categories sorted by id. Entries with a bad or repeated id are skipped (their annotations
    then refer to an unknown category); other bad fields are reported and left empty."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(InvalidField(path, None, "the file", "categories", "a list of category objects",
                                     json_type(raw)))
        return []
    categories: dict[int, Category] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            problems.append(InvalidEntry(path, None, f"categories[{index}]", json_type(item)))
            continue
        cid = item.get("id")
        if not is_coco_id(cid):
            if "id" in item:
                problems.append(InvalidCocoId(path, None, f"category (index {index})", shown(cid)))
            else:
                problems.append(MissingField(path, None, f"category (index {index})", "id"))
            continue
        if cid in categories:
            problems.append(DuplicateCocoId(path, None, "category", cid))
            continue
        categories[cid] = _category(item, cid, f"category id {cid} (index {index})", path, problems)
    return [categories[cid] for cid in sorted(categories)]


def _category(item: dict, cid: int, entry: str, path: Path, problems: list[Problem]) -> Category:
    name = item.get("name")
    if not isinstance(name, str):
        if "name" in item:
            problems.append(InvalidField(path, None, entry, "name", "a string", short(name)))
        else:
            problems.append(MissingField(path, None, entry, "name"))
        name = str(cid)
    supercategory = item.get("supercategory", "")
    if not isinstance(supercategory, str):
        problems.append(InvalidField(path, None, entry, "supercategory", "a string", short(supercategory)))
        supercategory = ""
    keypoints = _names(item.get("keypoints"), entry, path, problems)
    skeleton = _skeleton(item.get("skeleton"), entry, len(keypoints), path, problems)
    extra = {k: v for k, v in item.items() if k not in CATEGORY_FIELDS}
    for key in ("keypoints", "skeleton"):  # keep an empty list / null verbatim: the writer omits empties
        if key in item and not item[key]:
            extra[key] = item[key]
    return Category(id=cid, name=name, supercategory=supercategory, keypoints=keypoints,
                    skeleton=skeleton, extra=extra)


def _names(value: Any, entry: str, path: Path, problems: list[Problem]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(n, str) for n in value):
        return tuple(value)
    problems.append(InvalidField(path, None, entry, "keypoints", "a list of keypoint names", short(value)))
    return ()


def _skeleton(value: Any, entry: str, num_keypoints: int, path: Path,
              problems: list[Problem]) -> tuple[tuple[int, int], ...]:
    if value is None:
        return ()
    if not (isinstance(value, list) and all(
            isinstance(p, list) and len(p) == 2 and type(p[0]) is int and type(p[1]) is int for p in value)):
        problems.append(InvalidField(path, None, entry, "skeleton", "a list of [a, b] pairs of 1-based "
                                     "keypoint numbers", short(value)))
        return ()
    pairs = tuple((a, b) for a, b in value)
    if num_keypoints:
        for pair in pairs:
            if not (1 <= pair[0] <= num_keypoints and 1 <= pair[1] <= num_keypoints):
                problems.append(SkeletonOutOfRange(path, None, entry, pair, num_keypoints))
    return pairs


def keypoint_counts(categories: list[Category], raw_annotations: Iterable[Any], path: Path,
                    problems: list[Problem]) -> dict[int, int]:
    """Category id -> K, the number of keypoints its annotations must have.

    K is the number of names, except when every annotation of the category that has keypoints has
    the same other count (COCO-WholeBody's 133 under 17 names): then that count, with a warning.
    """
    counts = {c.id: len(c.keypoints) for c in categories}
    lengths: dict[int, set[int]] = {}
    for ann in raw_annotations:
        if type(ann) is dict:
            values = ann.get("keypoints")
            if type(values) is list and values:
                cid = ann.get("category_id")
                if type(cid) is int and cid in counts:
                    lengths.setdefault(cid, set()).add(len(values))
    for category in categories:
        found = lengths.get(category.id, set())
        if len(found) == 1:
            (length,) = found
            named = counts[category.id]
            if length % 3 == 0 and length // 3 != named:
                counts[category.id] = length // 3
                entry = f"category id {category.id} '{category.name}'"
                problems.append(UnnamedKeypoints(path, None, entry, named, length // 3))
    return counts


def flip_idx_from_names(names: tuple[str, ...]) -> tuple[int, ...] | None:
    """The left/right mirror permutation: ``left_X`` <-> ``right_X`` (a ``left`` / ``right`` word in a
    ``_``-separated name, any case), identity for the rest; None when no name has a mirror."""
    index = {name.lower(): i for i, name in enumerate(names)}
    flip = list(range(len(names)))
    paired = False
    for i, name in enumerate(names):
        words = name.lower().split("_")
        mirrored = ["right" if w == "left" else "left" if w == "right" else w for w in words]
        j = index.get("_".join(mirrored))
        if j is not None and j != i:
            flip[i] = j
            paired = True
    if not paired or sorted(flip) != list(range(len(names))):  # names repeated in another case
        return None
    return tuple(flip)
