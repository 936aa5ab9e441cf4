"""YOLO label rows: parsing one label file into Annotations (and Problems), formatting rows back.

A row is ``cls cx cy w h [x y (v) ...]``: the class index, the box centre and size normalised to
[0, 1] by the image width/height, then K keypoints of D values (D = 2: x y, D = 3: x y v). Inside the
studio a box is (x1, y1, x2, y2) pixels float64 and keypoints are (K, 3) float64 x, y pixels, v in
{0, 1, 2}; rows of a [K, 2] dataset get v = 2 (Ultralytics treats them all as visible).

Parsing is plain ``str.split`` / ``float`` with one compound range check per row (the fast path);
only a row that fails it is diagnosed in detail. A bad row is skipped and recorded as a Problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.annotations import Annotation
from studio.io.problems import (
    ClassIndexOutOfRange,
    CoordinateOutOfRange,
    DuplicateBox,
    InvalidVisibility,
    KeypointShapeMismatch,
    NonPositiveSize,
    NotANumber,
    Problem,
    WrongColumnCount,
)

TOLERANCE = 1e-6  # normalised coordinates may exceed [0, 1] by this much (6-decimal rounding)
_LO, _HI = -TOLERANCE, 1.0 + TOLERANCE
_VISIBILITIES = (0.0, 1.0, 2.0)


@dataclass(frozen=True)
class LabelSpec:
    """How to read rows: ``category_ids[i]`` is the category id of class index i; kpt_shape (K, D)."""

    category_ids: tuple[int, ...]
    kpt_shape: tuple[int, int] | None = None

    @property
    def columns(self) -> int:
        return 5 + (self.kpt_shape[0] * self.kpt_shape[1] if self.kpt_shape else 0)

    @property
    def expected(self) -> str:
        if self.kpt_shape is None:
            return "5"
        k, d = self.kpt_shape
        return f"5 + {k}*{d} = {self.columns}"


def parse_labels(text: str, path: Path | str, spec: LabelSpec, width: int, height: int
                 ) -> tuple[list[Annotation], list[Problem]]:
    """Annotations (boxes xyxy pixels of a ``width`` x ``height`` image) and Problems of one file
    (``path``: the label file, named in the Problems)."""
    annotations: list[Annotation] = []
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    ids, kpt_shape = spec.category_ids, spec.kpt_shape
    columns, num_classes = spec.columns, len(ids)
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if len(parts) != columns:
            if parts:
                problems.append(_column_problem(Path(path), number, len(parts), spec))
            continue
        try:  # fast path: a valid row costs one int, the floats and one compound check
            cls = int(parts[0])
            values = list(map(float, parts[1:]))
            cx, cy, w, h = values[0], values[1], values[2], values[3]
            ok = (0 <= cls < num_classes and 0.0 < w <= _HI and 0.0 < h <= _HI
                  and cx - w / 2 >= _LO and cx + w / 2 <= _HI and cy - h / 2 >= _LO and cy + h / 2 <= _HI
                  and (kpt_shape is None or _keypoints_ok(values, kpt_shape)))
        except ValueError:
            ok = False
        if not ok:
            checked = _slow_row(parts, Path(path), number, spec)
            if isinstance(checked, Problem):
                problems.append(checked)
                continue
            cls, values = checked
            cx, cy, w, h = values[0], values[1], values[2], values[3]
        box = ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)
        if box[2] <= box[0] or box[3] <= box[1]:  # e.g. w = 5e-324: positive, yet no extent in pixels
            problems.append(NonPositiveSize(Path(path), number, w, h))
            continue
        key = (cls, round(cx * 1e6), round(cy * 1e6), round(w * 1e6), round(h * 1e6))
        if key in seen:
            problems.append(DuplicateBox(Path(path), number, seen[key]))
        else:
            seen[key] = number
        keypoints = _keypoints(values, kpt_shape, width, height) if kpt_shape else None
        annotations.append(Annotation(category_id=ids[cls], box=box, keypoints=keypoints))
    return annotations, problems


def _slow_row(parts: list[str], path: Path, number: int, spec: LabelSpec
              ) -> Problem | tuple[int, list[float]]:
    """Diagnose a row that failed the fast path: its Problem, or (class index, values) if valid."""
    num_classes = len(spec.category_ids)
    cls = _class_index(parts[0], num_classes)
    if cls is None:
        return ClassIndexOutOfRange(path, number, parts[0], num_classes)
    try:
        values = [float(p) for p in parts[1:]]
    except ValueError:
        return NotANumber(path, number, next(p for p in parts[1:] if not _is_float(p)))
    problem = _check_values(values, path, number, spec)
    return (cls, values) if problem is None else problem


def _column_problem(path: Path, number: int, found: int, spec: LabelSpec) -> Problem:
    if spec.kpt_shape is not None and found > 5:
        return KeypointShapeMismatch(path, number, found - 5, spec.kpt_shape)
    return WrongColumnCount(path, number, found, spec.expected)


def _class_index(text: str, num_classes: int) -> int | None:
    """The class index in 0..num_classes-1 (``3`` or ``3.0``), else None."""
    try:
        cls = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
        if not value.is_integer():
            return None
        cls = int(value)
    return cls if 0 <= cls < num_classes else None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_values(values: list[float], path: Path, number: int, spec: LabelSpec) -> Problem | None:
    """The first Problem of a row's numbers (after the class index), or None when they are valid."""
    for value in values:
        if not math.isfinite(value):
            return NotANumber(path, number, str(value))
    cx, cy, w, h = values[0], values[1], values[2], values[3]
    if w <= 0.0 or h <= 0.0:
        return NonPositiveSize(path, number, w, h)
    box = (cx, cy, w, h)
    inside = cx - w / 2 >= _LO and cx + w / 2 <= _HI and cy - h / 2 >= _LO and cy + h / 2 <= _HI
    if not inside or not all(_LO <= v <= _HI for v in box):
        return CoordinateOutOfRange(path, number, "box", box, "[0, 1] (cx cy w h, normalised)")
    return _keypoint_problem(values, path, number, spec.kpt_shape) if spec.kpt_shape else None


def _keypoints_ok(values: list[float], kpt_shape: tuple[int, int]) -> bool:
    total = sum(values)
    if total - total != 0.0:  # a nan or inf somewhere (or a huge sum): let the slow path decide
        return False
    k, d = kpt_shape
    for j in range(k):
        base = 4 + j * d
        x, y = values[base], values[base + 1]
        v = values[base + 2] if d == 3 else 2.0
        if v not in _VISIBILITIES:
            return False
        if v != 0.0 and not (_LO <= x <= _HI and _LO <= y <= _HI):
            return False
    return True


def _keypoint_problem(values: list[float], path: Path, number: int, kpt_shape: tuple[int, int]
                      ) -> Problem | None:
    k, d = kpt_shape
    for j in range(k):
        base = 4 + j * d
        x, y = values[base], values[base + 1]
        v = values[base + 2] if d == 3 else 2.0
        if v not in _VISIBILITIES:
            return InvalidVisibility(path, number, v, j)
        if v != 0.0 and not (_LO <= x <= _HI and _LO <= y <= _HI):
            return CoordinateOutOfRange(path, number, f"keypoint {j}", (x, y), "[0, 1] (normalised)")
    return None


def _keypoints(values: list[float], kpt_shape: tuple[int, int], width: int, height: int) -> np.ndarray:
    """(K, 3) float64 x, y pixels, v; a [K, 2] row gets v = 2."""
    k, d = kpt_shape
    raw = np.asarray(values[4:], dtype=np.float64).reshape(k, d)
    out = np.empty((k, 3), dtype=np.float64)
    out[:, 0] = raw[:, 0] * width
    out[:, 1] = raw[:, 1] * height
    out[:, 2] = raw[:, 2] if d == 3 else 2.0
    return out


def _fmt(value: float) -> str:
    """6 decimals, never '-0.000000'."""
    text = f"{value:.6f}"
    return "0.000000" if text == "-0.000000" else text


def format_row(cls: int, box: tuple[float, float, float, float], width: int, height: int,
               keypoints: np.ndarray | None = None) -> str:
    """One label row (no newline): box xyxy pixels -> ``cls cx cy w h``; keypoints (K, 3) pixels ->
    ``x y v`` per keypoint, x/y normalised, v an integer, ``0.000000 0.000000 0`` where v == 0."""
    x1, y1, x2, y2 = box
    parts = [str(cls), _fmt((x1 + x2) / 2 / width), _fmt((y1 + y2) / 2 / height),
             _fmt((x2 - x1) / width), _fmt((y2 - y1) / height)]
    if keypoints is not None:
        for x, y, v in keypoints.tolist():
            visibility = round(v)
            if visibility == 0:
                parts.append("0.000000 0.000000 0")
            else:
                parts.append(f"{_fmt(x / width)} {_fmt(y / height)} {visibility}")
    return " ".join(parts)
