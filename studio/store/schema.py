"""The SQLite schema of a ``.tern`` project (one file per project) and how a connection is opened.

Tables:

* ``meta(key, value)``: ``schema_version``, ``created_with``, ``kpt_shape`` / ``flip_idx`` (JSON list or
  ``null``), ``dataset_extra`` (JSON object), ``root`` (the source dataset's folder, relative to the
  project's folder, or ``null``).
* ``categories``: ``id`` is the COCO category id; ``keypoints`` / ``skeleton`` / ``extra`` are JSON.
* ``images``: ``id`` is the store's row id; ``rel_path`` is the image file relative to the project's
  folder (``/`` separators; absolute only where no relative path exists, e.g. another Windows drive;
  NULL when the source never found the file); ``coco_id`` the source's image id; ``extra`` JSON.
* ``annotations``: box ``x1, y1, x2, y2`` as REAL (IEEE float64, exact), ``keypoints`` a BLOB of
  little-endian float64 ``(K, 3)`` (x, y, v) or NULL, ``coco_id`` the source's annotation id.
* ``history``: the persisted undo stack; ``payload`` is JSON ``{"forward": [op...], "inverse": [op...]}``
  (see ``studio.store.ops``), ``state`` 'done' | 'undone'.

Durability: WAL journal with ``synchronous=NORMAL``. Every edit is one committed transaction, and a
committed transaction survives a crash or kill of the process (WAL with NORMAL may lose the last commits
only on a power loss or OS crash, never on a process kill).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1
APPLICATION_ID = 0x7465726E  # "tern": marks a SQLite file as a Tern project (PRAGMA application_id)

TABLES = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    supercategory TEXT NOT NULL DEFAULT '',
    keypoints TEXT NOT NULL DEFAULT '[]',
    skeleton TEXT NOT NULL DEFAULT '[]',
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    rel_path TEXT,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    split TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('unlabeled', 'in_progress', 'done')),
    labeled INTEGER NOT NULL DEFAULT 1,
    coco_id INTEGER,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images(id),
    category_id INTEGER NOT NULL REFERENCES categories(id),
    x1 REAL NOT NULL,
    y1 REAL NOT NULL,
    x2 REAL NOT NULL,
    y2 REAL NOT NULL,
    keypoints BLOB,
    iscrowd INTEGER NOT NULL DEFAULT 0,
    coco_id INTEGER,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('done', 'undone'))
);
CREATE INDEX idx_history_state ON history(state, id);
"""

# Made after a bulk import (faster than maintaining them row by row).
INDEXES = """
CREATE INDEX IF NOT EXISTS idx_images_file_name ON images(file_name);
CREATE INDEX IF NOT EXISTS idx_images_split_status ON images(split, status, file_name);
CREATE INDEX IF NOT EXISTS idx_images_split ON images(split, file_name);
CREATE INDEX IF NOT EXISTS idx_images_status ON images(status, file_name);
CREATE INDEX IF NOT EXISTS idx_annotations_image ON annotations(image_id);
CREATE INDEX IF NOT EXISTS idx_annotations_category ON annotations(category_id);
"""

# Columns of each table in a fixed order (what row operations name).
COLUMNS: dict[str, tuple[str, ...]] = {
    "categories": ("id", "name", "supercategory", "keypoints", "skeleton", "extra"),
    "images": ("id", "file_name", "rel_path", "width", "height", "split", "status", "labeled",
               "coco_id", "extra"),
    "annotations": ("id", "image_id", "category_id", "x1", "y1", "x2", "y2", "keypoints", "iscrowd",
                    "coco_id", "extra"),
}
BLOB_COLUMNS: dict[str, frozenset[str]] = {"annotations": frozenset({"keypoints"})}


def connect(path: Path, *, readonly: bool, create: bool = False) -> sqlite3.Connection:
    """Open ``path``: read-only through a ``mode=ro`` URI, else read-write (``mode=rwc`` only when
    ``create``, so opening never makes an empty file). Autocommit mode: callers run explicit
    ``BEGIN`` / ``COMMIT`` (one transaction per edit)."""
    mode = "ro" if readonly else ("rwc" if create else "rw")
    uri = f"{Path(path).absolute().as_uri()}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def create_tables(conn: sqlite3.Connection) -> None:
    """Make the tables (not the indexes: see ``create_indexes``) and stamp the application id."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.executescript(TABLES)


def create_indexes(conn: sqlite3.Connection) -> None:
    conn.executescript(INDEXES)
