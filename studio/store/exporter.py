"""A whole project back to a Dataset, for export: everything the import kept comes back.

Samples come in import order (store row id), each with its objects in row-id order; category ids,
COCO image and annotation ids (``Sample.id`` / ``Annotation.id``, None for objects drawn in the studio),
crowd flags, every ``extra``, kpt_shape, flip_idx, splits and statuses. ``Sample.path`` is the absolute
image path (None for an image the source never found and nobody relinked).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from studio.annotations import Annotation, Dataset, Sample
from studio.store import queries
from studio.store.codec import optional_tuple
from studio.store.importer import read_meta
from studio.store.paths import resolve


def to_dataset(conn: sqlite3.Connection, project_dir: Path) -> Dataset:
    meta = read_meta(conn)
    grouped = _annotations_by_image(conn)
    samples: list[Sample] = []
    for row in conn.execute(f"SELECT {queries.SAMPLE_COLUMNS} FROM images ORDER BY id"):
        samples.append(queries.to_sample(row, project_dir, grouped.pop(row[0], [])))
    kpt_shape = meta.get("kpt_shape")
    root = meta.get("root")
    return Dataset(categories=queries.categories(conn), samples=samples,
                   kpt_shape=tuple(kpt_shape) if kpt_shape else None,
                   flip_idx=optional_tuple(meta.get("flip_idx")),
                   extra=meta.get("dataset_extra") or {},
                   root=None if root is None else resolve(root, "", project_dir))


def _annotations_by_image(conn: sqlite3.Connection) -> dict[int, list[Annotation]]:
    grouped: dict[int, list[Annotation]] = {}
    for row in queries.all_annotations(conn):
        grouped.setdefault(row[1], []).append(queries.to_annotation(row))
    return grouped
