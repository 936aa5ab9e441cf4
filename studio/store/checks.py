"""The problems of an open project, found without a GUI: what the problems panel lists.

``Project.problems()`` (``find_problems``) reads the project's tables with a few SQL queries and numpy (no
per-object Python loop over boxes; 100,000 images in about a second, see ``bench/bench_checks.py``)
and returns ``ProjectProblem`` rows ordered by file name, then object id:

* ``BOX_OUTSIDE``: a box reaches more than ``EDGE_TOLERANCE`` pixels past an image edge;
* ``BOX_EMPTY``: a box of zero or negative width or height (xyxy pixels: x2 <= x1 or y2 <= y1);
* ``KEYPOINT_OUTSIDE``: a labeled keypoint (v > 0) lies more than ``EDGE_TOLERANCE`` px outside;
* ``DUPLICATE_BOX``: two boxes of the same class in one image with IoU > ``DUPLICATE_IOU`` (the
  newer one, by row id, is reported);
* ``MISSING_FILE``: the image's file is not where the project says (or was never found);
* ``EMPTY_IN_PROGRESS``: an image marked "in progress" that holds no objects.

``problem_image_ids(problems)`` is the set of images they name (the images dock's "with problems"
filter passes it to ``Project.page(image_ids=...)``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.store.codec import KEYPOINT_DTYPE

BOX_OUTSIDE = "box outside image"
BOX_EMPTY = "empty box"
KEYPOINT_OUTSIDE = "keypoint outside image"
DUPLICATE_BOX = "duplicate box"
MISSING_FILE = "missing file"
EMPTY_IN_PROGRESS = "in progress, no objects"
KINDS = (BOX_OUTSIDE, BOX_EMPTY, KEYPOINT_OUTSIDE, DUPLICATE_BOX, MISSING_FILE, EMPTY_IN_PROGRESS)

EDGE_TOLERANCE = 0.5  # px a box or keypoint may pass an image edge (rounding in converted datasets)
DUPLICATE_IOU = 0.95


@dataclass(frozen=True)
class ProjectProblem:
    """One problem. image_id / annotation_id: store row ids (annotation_id None for image-level
    problems); kind: one of KINDS; message: a sentence a person can act on; file_name: the image's."""

    image_id: int
    annotation_id: int | None
    kind: str
    message: str
    file_name: str = ""


def problem_image_ids(problems: Iterable[ProjectProblem]) -> frozenset[int]:
    """The ids of the images that have at least one of ``problems`` (what ``Project.page(image_ids=)``
    takes to list only them)."""
    return frozenset(p.image_id for p in problems)


def find_problems(conn: sqlite3.Connection, project_dir: Path) -> list[ProjectProblem]:
    """Every problem of the project open on ``conn`` (``project_dir``: its folder), ordered by (file
    name, image id, annotation id). ``Project.problems`` calls this."""
    names = dict(conn.execute("SELECT id, file_name FROM images"))
    found = [*_box_problems(conn), *_keypoint_problems(conn), *_duplicates(conn),
             *_missing_files(conn, project_dir), *_empty_in_progress(conn)]
    found = [ProjectProblem(p.image_id, p.annotation_id, p.kind, p.message, names.get(p.image_id, ""))
             for p in found]
    found.sort(key=lambda p: (p.file_name, p.image_id, -1 if p.annotation_id is None else p.annotation_id,
                              KINDS.index(p.kind)))
    return found


def _box_problems(conn: sqlite3.Connection) -> list[ProjectProblem]:
    """Empty boxes and boxes past an edge, selected in SQL (an empty box is not also 'outside')."""
    t = EDGE_TOLERANCE
    rows = conn.execute(
        "SELECT a.id, a.image_id, a.x1, a.y1, a.x2, a.y2, i.width, i.height FROM annotations a "
        "JOIN images i ON i.id = a.image_id "
        "WHERE a.x2 <= a.x1 OR a.y2 <= a.y1 OR a.x1 < -? OR a.y1 < -? OR a.x2 > i.width + ? "
        "OR a.y2 > i.height + ?", (t, t, t, t))
    problems = []
    for ann_id, image_id, x1, y1, x2, y2, width, height in rows:
        box = f"({x1:.1f}, {y1:.1f}, {x2:.1f}, {y2:.1f})"
        if x2 <= x1 or y2 <= y1:
            size = f"{x2 - x1:.1f} x {y2 - y1:.1f} px"
            message = f"box {box} is {size}; resize or delete it"
            problems.append(ProjectProblem(image_id, ann_id, BOX_EMPTY, message))
        else:
            where = "lies outside" if x2 < 0 or y2 < 0 or x1 > width or y1 > height else "extends past"
            problems.append(ProjectProblem(image_id, ann_id, BOX_OUTSIDE,
                                           f"box {box} {where} the {width} x {height} image"))
    return problems


def _keypoint_problems(conn: sqlite3.Connection) -> list[ProjectProblem]:
    """Labeled keypoints outside their image: every blob decoded at once into one (M, 3) array."""
    rows = conn.execute("SELECT a.id, a.image_id, a.keypoints, i.width, i.height FROM annotations a "
                        "JOIN images i ON i.id = a.image_id WHERE a.keypoints IS NOT NULL").fetchall()
    if not rows:
        return []
    ann_ids, image_ids, blobs, widths, heights = zip(*rows, strict=True)
    counts = np.fromiter((len(b) // (3 * KEYPOINT_DTYPE.itemsize) for b in blobs), np.int64, len(blobs))
    points = np.frombuffer(b"".join(blobs), dtype=KEYPOINT_DTYPE).reshape(-1, 3)
    owner = np.repeat(np.arange(len(rows)), counts)
    k = np.arange(len(points)) - np.repeat(np.cumsum(counts) - counts, counts)  # index within its object
    w, h, t = np.asarray(widths, float)[owner], np.asarray(heights, float)[owner], EDGE_TOLERANCE
    x, y, v = points[:, 0], points[:, 1], points[:, 2]
    bad = (v > 0) & ((x < -t) | (y < -t) | (x > w + t) | (y > h + t))
    problems: dict[int, list[int]] = {}
    for row, kk in zip(owner[bad].tolist(), k[bad].tolist(), strict=True):
        problems.setdefault(row, []).append(kk)
    return [ProjectProblem(image_ids[r], ann_ids[r], KEYPOINT_OUTSIDE,
                           f"keypoint{'s' if len(ks) > 1 else ''} {', '.join(str(q + 1) for q in ks)} "
                           f"outside the {widths[r]} x {heights[r]} image")
            for r, ks in problems.items()]


def _duplicates(conn: sqlite3.Connection) -> list[ProjectProblem]:
    """Same-class pairs in one image with IoU > DUPLICATE_IOU, by a self-join on the image index
    (only pairs whose boxes overlap at all reach the IoU expression). CROSS JOIN and the unary ``+``
    keep SQLite on ``idx_annotations_image``: left alone it picked the class index, pairing every
    object with every object of its class in the project (11 s for 2,000 images)."""
    rows = conn.execute(
        "SELECT b.id, b.image_id, a.id, "
        "(MIN(a.x2, b.x2) - MAX(a.x1, b.x1)) * (MIN(a.y2, b.y2) - MAX(a.y1, b.y1)) AS inter, "
        "(a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) AS total "
        "FROM annotations a CROSS JOIN annotations b "
        "ON b.image_id = a.image_id AND +b.category_id = a.category_id AND +b.id > a.id "
        "WHERE MIN(a.x2, b.x2) > MAX(a.x1, b.x1) AND MIN(a.y2, b.y2) > MAX(a.y1, b.y1)")
    seen: set[int] = set()
    problems = []
    for ann_id, image_id, other, inter, total in rows:
        iou = inter / (total - inter) if total > inter else 1.0
        if iou > DUPLICATE_IOU and ann_id not in seen:
            seen.add(ann_id)
            problems.append(ProjectProblem(image_id, ann_id, DUPLICATE_BOX,
                                           f"same class as object {other} and overlaps it (IoU {iou:.2f}); "
                                           "delete one"))
    return problems


def _missing_files(conn: sqlite3.Connection, project_dir: Path) -> list[ProjectProblem]:
    """Images whose stored path is not a file (one directory listing per folder, not a stat per image)."""
    listings: dict[str, frozenset[str] | None] = {}
    problems = []
    for image_id, file_name, stored in conn.execute("SELECT id, file_name, rel_path FROM images"):
        if stored is None:
            problems.append(ProjectProblem(image_id, None, MISSING_FILE,
                                           f"{file_name} was never found; relink its folder (File menu)"))
            continue
        path = os.path.normpath(os.path.join(project_dir, stored))
        folder, name = os.path.split(path)
        if folder not in listings:
            listings[folder] = _listing(folder)
        names = listings[folder]
        if (names is None or name not in names) and not os.path.isfile(path):  # isfile: case-blind disks
            problems.append(ProjectProblem(image_id, None, MISSING_FILE,
                                           f"{path} is missing; relink its folder (File menu)"))
    return problems


def _listing(folder: str) -> frozenset[str] | None:
    """Names in ``folder`` (None when it cannot be listed)."""
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return None


def _empty_in_progress(conn: sqlite3.Connection) -> list[ProjectProblem]:
    rows = conn.execute("SELECT i.id FROM images i WHERE i.status = 'in_progress' AND NOT EXISTS "
                        "(SELECT 1 FROM annotations a WHERE a.image_id = i.id)")
    return [ProjectProblem(image_id, None, EMPTY_IN_PROGRESS,
                           "marked in progress but holds no objects; label it or mark it done")
            for (image_id,) in rows]
