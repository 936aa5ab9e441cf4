"""Edit commands: plain dataclasses that turn into row operations (``studio.store.ops``).

``command.ops(conn)`` reads the rows it touches and returns the forward operations; the inverse is
derived from them (``ops.inverse``), so undo restores exactly what was there, row ids included.
Boxes are xyxy pixels (float64); keypoints are ``(K, 3)`` float64 x, y, v. Every command checks its
arguments and raises ProjectError with a message naming what is wrong.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from studio.annotations import SPLITS, STATUSES
from studio.errors import ProjectError
from studio.store import ops
from studio.store.codec import blob_to_keypoints, check_box, dumps, keypoints_to_blob, loads
from studio.store.ops import Op


class Command(Protocol):
    """What ``Project.apply`` takes: a ``label`` for the undo menu and ``ops(conn)``."""

    @property
    def label(self) -> str: ...

    def ops(self, conn: sqlite3.Connection) -> list[Op]: ...


def require(conn: sqlite3.Connection, table: str, row_id: int) -> dict[str, Any]:
    """The row ``row_id`` of ``table`` (JSON-ready values); ProjectError when there is none."""
    row = ops.read_row(conn, table, int(row_id))
    if row is None:
        noun = {"annotations": "annotation", "images": "image", "categories": "class"}[table]
        raise ProjectError(f"there is no {noun} with id {row_id} in this project")
    return row


def kpt_count(conn: sqlite3.Connection) -> int | None:
    """K of the project's kpt_shape, or None for a project without keypoints."""
    found = conn.execute("SELECT value FROM meta WHERE key = 'kpt_shape'").fetchone()
    shape = loads(found[0]) if found else None
    return int(shape[0]) if shape else None


def _blob_b64(array: np.ndarray | None) -> Any:
    return ops.to_json_values("annotations", {"keypoints": keypoints_to_blob(array)})["keypoints"]


def _checked_keypoints(conn: sqlite3.Connection, keypoints: Any) -> np.ndarray | None:
    if keypoints is None:
        return None
    array = np.asarray(keypoints, dtype=np.float64)
    k = kpt_count(conn)
    if k is None:
        raise ProjectError("this project has no keypoints (no kpt_shape); cannot store keypoints")
    if array.shape != (k, 3):
        raise ProjectError(f"keypoints must be ({k}, 3) x, y, v for this project; got {array.shape}")
    return array


def _diff(table: str, row_id: int, row: dict[str, Any], new: dict[str, Any]) -> list[Op]:
    """One update op for the columns of ``new`` that differ from ``row`` (none when nothing does)."""
    changed = {k: v for k, v in new.items() if row[k] != v}
    if not changed:
        return []
    return [ops.update(table, row_id, {k: row[k] for k in changed}, changed)]


@dataclass(frozen=True, eq=False)
class AddBox:
    """A new object on ``image_id``; an 'unlabeled' image becomes 'in_progress' in the same command."""

    image_id: int
    category_id: int
    box: tuple[float, float, float, float]
    keypoints: np.ndarray | None = None
    iscrowd: bool = False
    label: str = "Add box"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        image = require(conn, "images", self.image_id)
        require(conn, "categories", self.category_id)
        x1, y1, x2, y2 = check_box(self.box)
        new_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM annotations").fetchone()[0]
        row = {"id": new_id, "image_id": image["id"], "category_id": int(self.category_id),
               "x1": x1, "y1": y1, "x2": x2, "y2": y2,
               "keypoints": _blob_b64(_checked_keypoints(conn, self.keypoints)),
               "iscrowd": int(bool(self.iscrowd)), "coco_id": None, "extra": "{}"}
        out = [ops.insert("annotations", row)]
        if image["status"] == "unlabeled":
            out += _diff("images", image["id"], image, {"status": "in_progress", "labeled": 1})
        return out


@dataclass(frozen=True, eq=False)
class AddBoxes:
    """Several new objects on ``image_id`` as one command (one undo step), e.g. copied from another
    image: ``objects`` is ((category_id, box xyxy pixels, keypoints (K, 3) or None), ...). An
    'unlabeled' image becomes 'in_progress' in the same command; no objects changes nothing."""

    image_id: int
    objects: tuple[tuple[int, tuple[float, float, float, float], np.ndarray | None], ...]
    label: str = "Add boxes"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        image = require(conn, "images", self.image_id)
        if not self.objects:
            return []
        next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM annotations").fetchone()[0]
        out: list[Op] = []
        for offset, (category_id, box, keypoints) in enumerate(self.objects):
            require(conn, "categories", category_id)
            x1, y1, x2, y2 = check_box(box)
            row = {"id": next_id + offset, "image_id": image["id"], "category_id": int(category_id),
                   "x1": x1, "y1": y1, "x2": x2, "y2": y2,
                   "keypoints": _blob_b64(_checked_keypoints(conn, keypoints)),
                   "iscrowd": 0, "coco_id": None, "extra": "{}"}
            out.append(ops.insert("annotations", row))
        if image["status"] == "unlabeled":
            out += _diff("images", image["id"], image, {"status": "in_progress", "labeled": 1})
        return out


@dataclass(frozen=True)
class SetBox:
    """Move or resize an object. A COCO 'area' with no segmentation behind it is dropped (it described
    the old box; COCO export recomputes it); an area of a segmentation is kept. With
    ``move_keypoints`` a pure move (same size) carries the labeled keypoints along, in the same step."""

    ann_id: int
    box: tuple[float, float, float, float]
    label: str = "Edit box"
    move_keypoints: bool = False

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        row = require(conn, "annotations", self.ann_id)
        x1, y1, x2, y2 = check_box(self.box)
        new: dict[str, Any] = {"x1": x1, "y1": y1, "x2": x2, "y2": y2}
        if self.move_keypoints:
            new.update(_moved_keypoints(row, (x1, y1, x2, y2)))
        extra = json.loads(row["extra"])
        if "area" in extra and not extra.get("segmentation"):
            del extra["area"]
            new["extra"] = dumps(extra)
        return _diff("annotations", row["id"], row, new)


def _moved_keypoints(row: dict[str, Any], box: tuple[float, float, float, float]) -> dict[str, Any]:
    """{"keypoints": shifted along} when ``box`` (xyxy) is ``row``'s box moved without resizing;
    only labeled points (v > 0) move. Empty when there are none or the size changed."""
    kpts = blob_to_keypoints(ops.from_json_value("annotations", "keypoints", row["keypoints"]))
    dx, dy = box[0] - row["x1"], box[1] - row["y1"]
    same_size = abs(box[2] - dx - row["x2"]) < 1e-9 and abs(box[3] - dy - row["y2"]) < 1e-9
    if kpts is None or not same_size:
        return {}
    labeled = kpts[:, 2] > 0
    kpts[labeled, 0] += dx
    kpts[labeled, 1] += dy
    return {"keypoints": _blob_b64(kpts)}


@dataclass(frozen=True)
class DeleteBox:
    ann_id: int
    label: str = "Delete box"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        return [ops.delete("annotations", require(conn, "annotations", self.ann_id))]


@dataclass(frozen=True)
class SetCategory:
    ann_id: int
    category_id: int
    label: str = "Change class"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        row = require(conn, "annotations", self.ann_id)
        require(conn, "categories", self.category_id)
        return _diff("annotations", row["id"], row, {"category_id": int(self.category_id)})


@dataclass(frozen=True)
class SetKeypoint:
    """Set keypoint ``k`` (0-based) of an object to x, y (pixels) and visibility v in {0, 1, 2}:
    adding is v > 0 on a v = 0 point, moving is new x, y, deleting is v = 0. An object without
    keypoints first gets K points with v = 0."""

    ann_id: int
    k: int
    x: float
    y: float
    v: int
    label: str = "Set keypoint"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        row = require(conn, "annotations", self.ann_id)
        count = kpt_count(conn)
        if count is None:
            raise ProjectError("this project has no keypoints (no kpt_shape); cannot set a keypoint")
        if not 0 <= self.k < count:
            raise ProjectError(f"keypoint index {self.k} is outside 0..{count - 1}")
        if self.v not in (0, 1, 2):
            raise ProjectError(f"visibility must be 0 (not labeled), 1 (occluded) or 2 (visible); "
                               f"got {self.v}")
        current = blob_to_keypoints(ops.from_json_value("annotations", "keypoints", row["keypoints"]))
        array = np.zeros((count, 3), dtype=np.float64) if current is None else current
        array[self.k] = (float(self.x), float(self.y), float(self.v))
        return _diff("annotations", row["id"], row, {"keypoints": _blob_b64(array)})


@dataclass(frozen=True, eq=False)
class SetKeypoints:
    """Replace all keypoints of an object: a (K, 3) array, or None to remove them."""

    ann_id: int
    keypoints: np.ndarray | None
    label: str = "Set keypoints"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        row = require(conn, "annotations", self.ann_id)
        array = _checked_keypoints(conn, self.keypoints)
        return _diff("annotations", row["id"], row, {"keypoints": _blob_b64(array)})


@dataclass(frozen=True)
class SetStatus:
    """'unlabeled' | 'in_progress' | 'done'. An image marked done or in progress counts as labeled
    (so an image with no objects exports as an empty label file, not as unlabeled)."""

    image_id: int
    status: str
    label: str = "Set status"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        if self.status not in STATUSES:
            raise ProjectError(f"status must be one of {', '.join(STATUSES)}; got {self.status!r}")
        image = require(conn, "images", self.image_id)
        has_objects = conn.execute("SELECT 1 FROM annotations WHERE image_id = ? LIMIT 1",
                                   (image["id"],)).fetchone() is not None
        labeled = int(self.status != "unlabeled" or has_objects)
        return _diff("images", image["id"], image, {"status": self.status, "labeled": labeled})


@dataclass(frozen=True)
class SetSplit:
    image_id: int
    split: str
    label: str = "Set split"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        if self.split not in SPLITS:
            raise ProjectError(f"split must be one of {', '.join(SPLITS)}; got {self.split!r}")
        image = require(conn, "images", self.image_id)
        return _diff("images", image["id"], image, {"split": self.split})


@dataclass(frozen=True)
class AddClass:
    """A new category with the next free id; in a pose project it shares the keypoint names and
    skeleton of the first category that has them."""

    name: str
    supercategory: str = ""
    label: str = "Add class"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        name = _checked_name(conn, self.name)
        new_id, = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM categories").fetchone()
        shared = conn.execute("SELECT keypoints, skeleton FROM categories WHERE keypoints != '[]' "
                              "ORDER BY id LIMIT 1").fetchone() or ("[]", "[]")
        row = {"id": new_id, "name": name, "supercategory": self.supercategory,
               "keypoints": shared[0], "skeleton": shared[1], "extra": "{}"}
        return [ops.insert("categories", row)]


@dataclass(frozen=True)
class RenameClass:
    category_id: int
    name: str
    label: str = "Rename class"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        row = require(conn, "categories", self.category_id)
        if row["name"] == self.name:
            return []
        return _diff("categories", row["id"], row, {"name": _checked_name(conn, self.name)})


@dataclass(frozen=True)
class MergeClass:
    """Move every object of class ``src_id`` to ``dst_id``, then remove ``src_id``."""

    src_id: int
    dst_id: int
    label: str = "Merge classes"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        src = require(conn, "categories", self.src_id)
        dst = require(conn, "categories", self.dst_id)
        if src["id"] == dst["id"]:
            raise ProjectError(f"cannot merge class {src['name']!r} into itself")
        ids = [r[0] for r in conn.execute("SELECT id FROM annotations WHERE category_id = ? ORDER BY id",
                                          (src["id"],))]
        out = [ops.update_many("annotations", ids, {"category_id": src["id"]},
                               {"category_id": dst["id"]})] if ids else []
        return [*out, ops.delete("categories", src)]


@dataclass(frozen=True)
class Relink:
    """Point images at new files: ``changes`` is ((image_id, stored path), ...), the stored form being
    relative to the project's folder (see ``studio.store.paths``)."""

    changes: tuple[tuple[int, str], ...] = field(default=())
    label: str = "Relink images"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        out: list[Op] = []
        for image_id, rel_path in self.changes:
            image = require(conn, "images", image_id)
            out += _diff("images", image["id"], image, {"rel_path": rel_path})
        return out


@dataclass(frozen=True)
class SetSkeleton:
    """The keypoint template: ``names`` (K) and 1-based ``edges`` on every category, kpt_shape [K, 3]
    and ``flip_idx`` (0-based) in meta; K = 0 removes keypoints. Changing K is refused while objects
    hold keypoints of the old K (their arrays would no longer fit)."""

    names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    flip_idx: tuple[int, ...]
    label: str = "Set skeleton"

    def ops(self, conn: sqlite3.Connection) -> list[Op]:
        from studio.skeletons import SkeletonError, validate_skeleton

        try:
            skeleton = validate_skeleton(self.names, self.edges, self.flip_idx)
        except SkeletonError as exc:
            raise ProjectError(str(exc)) from exc
        k = len(skeleton.names)
        old_k = kpt_count(conn) or 0
        if k != old_k and conn.execute("SELECT 1 FROM annotations WHERE keypoints IS NOT NULL "
                                       "LIMIT 1").fetchone():
            raise ProjectError(f"objects already hold {old_k} keypoints each; a skeleton of {k} keypoints "
                               f"must keep {old_k} (rename or re-pair them instead)")
        new = {"keypoints": dumps(list(skeleton.names)), "skeleton": dumps([list(e) for e in skeleton.edges])}
        out: list[Op] = []
        for (cat_id,) in conn.execute("SELECT id FROM categories ORDER BY id").fetchall():
            out += _diff("categories", cat_id, require(conn, "categories", cat_id), new)
        out += _meta_diff(conn, "kpt_shape", dumps([k, 3] if k else None))
        return out + _meta_diff(conn, "flip_idx", dumps(list(skeleton.flip_idx) if k else None))


def _meta_diff(conn: sqlite3.Connection, key: str, new: str) -> list[Op]:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    old = found[0] if found else None
    return [] if old == new or (old is None and new == "null") else [ops.meta(key, old, new)]


def _checked_name(conn: sqlite3.Connection, name: str) -> str:
    name = str(name).strip()
    if not name:
        raise ProjectError("a class name cannot be empty")
    if conn.execute("SELECT 1 FROM categories WHERE name = ?", (name,)).fetchone():
        raise ProjectError(f"there is already a class named {name!r}; choose another name")
    return name
