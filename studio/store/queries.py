"""Reads of a project's tables into rows (ImageRow, AnnotationRow) and domain objects.

Boxes come back as xyxy float64 pixels exactly as stored; keypoints as writable ``(K, 3)`` float64
arrays; image paths resolved to absolute paths against the project's folder.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from studio.annotations import Annotation, Category, Sample
from studio.errors import ProjectError
from studio.store.codec import blob_to_keypoints, loads, skeleton_from_json
from studio.store.paths import resolve
from studio.store.rows import AnnotationRow, ImageRow

_IMAGE_COLUMNS = ("i.id, i.file_name, i.rel_path, i.width, i.height, i.split, i.status, "
                  "(SELECT COUNT(*) FROM annotations a WHERE a.image_id = i.id)")
_ANN_COLUMNS = "id, image_id, category_id, x1, y1, x2, y2, keypoints, iscrowd, coco_id, extra"
# An id filter of up to this many ids is read first (then sorted); a larger one is probed per image in
# file-name order. 100k images, page of 200, ms (ids read first / probed): 1,000 ids 1.9/2.9 first page,
# 2.8/11.5 last; 20,000 ids 5.5/0.4 and 26.6/15.1; 100,000 ids 11.8/0.7 and 127.7/28.9.
ID_DRIVE_LIMIT = 5_000


def _where(split: str | None, status: str | None, search: str | None = None,
           category_id: int | None = None, held_ids: int | None = None) -> tuple[str, list[Any]]:
    """WHERE clause over ``images i``: exact split/status, ``search`` a case-insensitive substring of
    file_name (LIKE with ``\\`` escaping % and _), ``category_id`` images holding an object of that class,
    ``held_ids`` (how many ids ``temp.filter_ids`` holds, see ``hold_filter_ids``; None: no
    restriction) images whose id is among them."""
    clauses, params = [], []
    if held_ids is not None:
        # few ids: SQLite reads them first and sorts the rows; many: the unary + makes it walk the
        # file-name order and look each image up, stopping after the page (a 100k-id deep page: 29 ms
        # instead of 128 ms; bench figures in the ID_DRIVE_LIMIT comment)
        clauses.append(("i.id" if held_ids <= ID_DRIVE_LIMIT else "+i.id") + " IN temp.filter_ids")
    if split is not None:
        clauses.append("i.split = ?")
        params.append(split)
    if status is not None:
        clauses.append("i.status = ?")
        params.append(status)
    if search:
        clauses.append("i.file_name LIKE ? ESCAPE '\\'")
        params.append("%" + _escape_like(search) + "%")
    if category_id is not None:
        # one pass over idx_annotations_category into a list, then a lookup per image (a correlated
        # EXISTS made SQLite walk the class's whole index once per image: 200x slower)
        clauses.append("i.id IN (SELECT a.image_id FROM annotations a WHERE a.category_id = ?)")
        params.append(int(category_id))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def hold_filter_ids(conn: sqlite3.Connection, image_ids: frozenset[int],
                    held: frozenset[int] | None) -> frozenset[int]:
    """Make the connection-local table ``temp.filter_ids(id INTEGER PRIMARY KEY)`` hold exactly
    ``image_ids``, refilling it only when they differ from ``held`` (what it holds now, None when
    unknown); returns what it holds. A TEMP table lives in the connection, so it also works on a
    read-only project and never touches the project file."""
    if held is not None and (image_ids is held or image_ids == held):
        return held
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS filter_ids (id INTEGER PRIMARY KEY)")
    outer = conn.in_transaction
    if not outer:
        conn.execute("BEGIN")  # deferred: the temp database only, never a lock on the project
    try:
        conn.execute("DELETE FROM temp.filter_ids")
        conn.executemany("INSERT INTO temp.filter_ids (id) VALUES (?)", ((int(i),) for i in image_ids))
    except BaseException:
        if not outer:
            conn.execute("ROLLBACK")
        raise
    if not outer:
        conn.execute("COMMIT")
    return image_ids


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _image_row(row: tuple, project_dir: Path) -> ImageRow:
    image_id, file_name, rel_path, width, height, split, status, count = row
    return ImageRow(id=image_id, file_name=file_name, path=resolve(rel_path, file_name, project_dir),
                    width=width, height=height, split=split, status=status, num_objects=count)


def categories(conn: sqlite3.Connection) -> list[Category]:
    """Every category in id order (YOLO class index = position)."""
    rows = conn.execute("SELECT id, name, supercategory, keypoints, skeleton, extra FROM categories "
                        "ORDER BY id")
    return [Category(id=r[0], name=r[1], supercategory=r[2], keypoints=tuple(loads(r[3])),
                     skeleton=skeleton_from_json(loads(r[4])), extra=loads(r[5])) for r in rows]


def count_images(conn: sqlite3.Connection, split: str | None, status: str | None,
                 search: str | None = None, category_id: int | None = None,
                 held_ids: int | None = None) -> int:
    where, params = _where(split, status, search, category_id, held_ids)
    return conn.execute(f"SELECT COUNT(*) FROM images i{where}", params).fetchone()[0]


def page(conn: sqlite3.Connection, project_dir: Path, offset: int, limit: int,
         split: str | None, status: str | None, search: str | None = None,
         category_id: int | None = None, held_ids: int | None = None) -> list[ImageRow]:
    """Images ordered by file_name (then id), ``limit`` of them from ``offset``, filtered (``held_ids``:
    only the ids held in ``temp.filter_ids``, that many of them)."""
    where, params = _where(split, status, search, category_id, held_ids)
    rows = conn.execute(f"SELECT {_IMAGE_COLUMNS} FROM images i{where} ORDER BY i.file_name, i.id "
                        "LIMIT ? OFFSET ?", [*params, int(limit), int(offset)])
    return [_image_row(r, project_dir) for r in rows]


def image(conn: sqlite3.Connection, project_dir: Path, image_id: int) -> ImageRow:
    row = conn.execute(f"SELECT {_IMAGE_COLUMNS} FROM images i WHERE i.id = ?", (image_id,)).fetchone()
    if row is None:
        raise ProjectError(f"there is no image with id {image_id} in this project")
    return _image_row(row, project_dir)


def image_id_for_path(conn: sqlite3.Connection, project_dir: Path, path: Path | str) -> int | None:
    """The id of the image stored at ``path`` (as given or with links resolved), None when none is."""
    from studio.store.paths import to_stored

    candidates = {to_stored(path, project_dir), to_stored(Path(path).resolve(), project_dir)}
    for stored in candidates:
        query = "SELECT id FROM images WHERE rel_path = ? ORDER BY id LIMIT 1"
        row = conn.execute(query, (stored,)).fetchone()
        if row is not None:
            return int(row[0])
    return None


def missing_images(conn: sqlite3.Connection, project_dir: Path) -> list[tuple[ImageRow, str | None]]:
    """(row, stored path) of every image whose file is not there or was never found, by file_name."""
    missing = []
    for r in conn.execute(f"SELECT {_IMAGE_COLUMNS}, i.rel_path FROM images i ORDER BY i.file_name, i.id"):
        stored = r[-1]
        if stored is None or not os.path.isfile(os.path.join(project_dir, stored)):
            missing.append((_image_row(r[:-1], project_dir), stored))
    return missing


def annotations(conn: sqlite3.Connection, image_id: int) -> list[AnnotationRow]:
    """The objects of one image in row-id order."""
    rows = conn.execute(f"SELECT {_ANN_COLUMNS} FROM annotations WHERE image_id = ? ORDER BY id",
                        (image_id,))
    return [AnnotationRow(id=r[0], image_id=r[1], category_id=r[2], box=(r[3], r[4], r[5], r[6]),
                          keypoints=blob_to_keypoints(r[7]), iscrowd=bool(r[8]), coco_id=r[9])
            for r in rows]


def to_annotation(row: tuple) -> Annotation:
    """A row of ``_ANN_COLUMNS`` -> the domain Annotation (id = the source's coco_id)."""
    return Annotation(category_id=row[2], box=(row[3], row[4], row[5], row[6]),
                      keypoints=blob_to_keypoints(row[7]), iscrowd=bool(row[8]), id=row[9],
                      extra=loads(row[10]))


def to_sample(row: tuple, project_dir: Path, anns: list[Annotation]) -> Sample:
    """A row of (id, file_name, rel_path, width, height, split, status, labeled, coco_id, extra)."""
    _, file_name, rel_path, width, height, split, status, labeled, coco_id, extra = row
    path = None if rel_path is None else resolve(rel_path, file_name, project_dir)
    return Sample(file_name=file_name, path=path, width=width, height=height, split=split,
                  annotations=anns, id=coco_id, labeled=bool(labeled), status=status, extra=loads(extra))


SAMPLE_COLUMNS = "id, file_name, rel_path, width, height, split, status, labeled, coco_id, extra"


def sample(conn: sqlite3.Connection, project_dir: Path, image_id: int) -> Sample:
    """One image as the domain Sample (ids are the source's COCO ids; extras included)."""
    row = conn.execute(f"SELECT {SAMPLE_COLUMNS} FROM images WHERE id = ?", (image_id,)).fetchone()
    if row is None:
        raise ProjectError(f"there is no image with id {image_id} in this project")
    anns = [to_annotation(r) for r in conn.execute(
        f"SELECT {_ANN_COLUMNS} FROM annotations WHERE image_id = ? ORDER BY id", (image_id,))]
    return to_sample(row, project_dir, anns)


def all_annotations(conn: sqlite3.Connection) -> Iterable[tuple]:
    """Every annotation row (``_ANN_COLUMNS``) ordered by image then row id."""
    return conn.execute(f"SELECT {_ANN_COLUMNS} FROM annotations ORDER BY image_id, id")


def category_counts(conn: sqlite3.Connection) -> dict[int, int]:
    """category id -> number of objects (categories without objects are absent)."""
    return dict(conn.execute("SELECT category_id, COUNT(*) FROM annotations GROUP BY category_id"))
