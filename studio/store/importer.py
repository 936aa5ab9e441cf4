"""Bulk import of a Dataset into a project's tables (rows made lazily, inserted with executemany).

Image paths are stored relative to the project's folder (``studio.store.paths``); boxes go into REAL
columns exactly; keypoints ``(K, 3)`` float64 into BLOBs; every field the studio does not use rides in
the ``extra`` JSON columns. Category ids are the COCO ids; sample and annotation ids are kept as
``coco_id`` while the store numbers its own rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.annotations import STATUSES, Category, Dataset
from studio.errors import ProjectError
from studio.store.codec import dumps, keypoints_to_blob, loads
from studio.store.paths import to_stored


def write_meta(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    """Set meta keys to JSON-encoded values."""
    conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     [(k, dumps(v)) for k, v in values.items()])


def read_meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return {k: loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def import_rows(conn: sqlite3.Connection, dataset: Dataset, project_dir: Path) -> int:
    """Add ``dataset`` to the tables (inside the caller's transaction); returns the images added.

    The first import into an empty project sets kpt_shape, flip_idx, the dataset's extra and root; a
    later one must agree on kpt_shape and on the names of category ids both have (ProjectError else).
    """
    _merge_meta(conn, dataset, project_dir)
    known = _merge_categories(conn, dataset.categories)
    first_image = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM images").fetchone()[0]
    first_ann = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM annotations").fetchone()[0]
    for sample in dataset.samples:
        if sample.status not in STATUSES:
            raise ProjectError(f"{sample.file_name}: status {sample.status!r} is not one of {STATUSES}")
        for ann in sample.annotations:
            if ann.category_id not in known:
                raise ProjectError(f"{sample.file_name}: an object has class id {ann.category_id}, "
                                   "which is not among the dataset's categories")
    try:
        conn.executemany("INSERT INTO images (id, file_name, rel_path, width, height, split, status, "
                         "labeled, coco_id, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         _image_rows(dataset, project_dir, first_image))
        conn.executemany("INSERT INTO annotations (id, image_id, category_id, x1, y1, x2, y2, keypoints, "
                         "iscrowd, coco_id, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         _annotation_rows(dataset, first_image, first_ann))
    except sqlite3.IntegrityError as exc:
        raise ProjectError(f"cannot import the dataset: {exc} (a box coordinate that is not a number "
                           "becomes NULL in SQLite; fix the source and import again)") from exc
    return len(dataset.samples)


def _image_rows(dataset: Dataset, project_dir: Path, first_id: int) -> Iterator[tuple]:
    for i, s in enumerate(dataset.samples):
        yield (first_id + i, s.file_name, to_stored(s.path, project_dir), int(s.width), int(s.height),
               s.split, s.status, int(bool(s.labeled)), s.id, dumps(s.extra) if s.extra else "{}")


def _annotation_rows(dataset: Dataset, first_image: int, first_id: int) -> Iterator[tuple]:
    next_id = first_id
    for i, s in enumerate(dataset.samples):
        for a in s.annotations:
            x1, y1, x2, y2 = a.box
            yield (next_id, first_image + i, a.category_id, float(x1), float(y1), float(x2), float(y2),
                   keypoints_to_blob(a.keypoints), int(bool(a.iscrowd)), a.id,
                   dumps(a.extra) if a.extra else "{}")
            next_id += 1


def _merge_meta(conn: sqlite3.Connection, dataset: Dataset, project_dir: Path) -> None:
    meta = read_meta(conn)
    kpt_shape = list(dataset.kpt_shape) if dataset.kpt_shape else None
    has_images = conn.execute("SELECT 1 FROM images LIMIT 1").fetchone() is not None
    if not has_images and "kpt_shape" not in meta:
        root = to_stored(dataset.root, project_dir) if dataset.root is not None else None
        write_meta(conn, {"kpt_shape": kpt_shape,
                          "flip_idx": list(dataset.flip_idx) if dataset.flip_idx is not None else None,
                          "dataset_extra": dataset.extra, "root": root})
    elif meta.get("kpt_shape") != kpt_shape and dataset.samples:
        raise ProjectError(f"the dataset's kpt_shape {kpt_shape} differs from the project's "
                           f"{meta.get('kpt_shape')}; import it into a new project instead")


def _merge_categories(conn: sqlite3.Connection, categories: list[Category]) -> set[int]:
    """Insert categories the project lacks; returns every category id the project then has."""
    existing = dict(conn.execute("SELECT id, name FROM categories").fetchall())
    new = []
    for c in categories:
        if c.id in existing and existing[c.id] != c.name:
            raise ProjectError(f"class id {c.id} is {existing[c.id]!r} in the project but {c.name!r} in "
                               "the dataset; rename one of them first")
        if c.id not in existing:
            new.append((c.id, c.name, c.supercategory, dumps(list(c.keypoints)),
                        dumps([list(p) for p in c.skeleton]), dumps(c.extra)))
            existing[c.id] = c.name
    conn.executemany("INSERT INTO categories (id, name, supercategory, keypoints, skeleton, extra) "
                     "VALUES (?, ?, ?, ?, ?, ?)", new)
    return set(existing)
