"""A Tern project: one SQLite file (``<name>.tern``) holding a labeled dataset and its edit history.

* Opening for writing takes ``<file>.lock`` (``filelock``, no waiting) for the Project's lifetime; a
  second writer, in this process or another, gets ProjectLockedError. ``readonly=True`` takes no lock,
  opens the file through a ``mode=ro`` URI and refuses every edit.
* Every edit is a command (``studio.store.commands``) applied in one committed transaction and pushed
  on the persisted undo stack; undo/redo is unlimited and survives closing and reopening. WAL with
  ``synchronous=NORMAL``: a committed edit survives a crash or kill of the process.
* Image paths are stored relative to the project file's folder and resolved to absolute paths on
  read; images are referenced, never copied.
* Boxes are xyxy pixels, float64, stored exactly; keypoints are ``(K, 3)`` float64 x, y, v.

A Project (its SQLite connection) belongs to the thread that opened it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock
import numpy as np

from studio.annotations import Category, Dataset, Sample
from studio.errors import ProjectError, ProjectLockedError
from studio.store import checks, exporter, figures, history, importer, ops, queries, schema
from studio.store import commands as cmd
from studio.store.ops import Op
from studio.store.paths import to_stored
from studio.store.relink import find_moved
from studio.store.rows import AnnotationRow, ImageRow


def _created_with() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"tern-studio {version('tern-studio')}"
    except PackageNotFoundError:
        return "tern-studio (source checkout)"


def _take_lock(path: Path) -> filelock.FileLock:
    lock = filelock.FileLock(str(path) + ".lock", timeout=0, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ProjectLockedError(path) from None
    return lock


def _remove_db_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(str(path) + suffix)


class Project:
    """An open project. Make one with ``Project.create`` or ``Project.open``; close it (or use it as a
    context manager) to release the lock."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock: filelock.FileLock | None,
                 readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self._dir = path.parent
        self._conn = conn
        self._lock = lock
        self._meta = importer.read_meta(conn)
        self._filter_ids: frozenset[int] | None = None  # what temp.filter_ids holds (queries.hold_filter_ids)

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def create(cls, path: Path | str, dataset: Dataset | None = None) -> Project:
        """Make a new project file at ``path`` (ProjectError if it exists), importing ``dataset``.

        The file is built beside the target under a temporary name and renamed when complete, so a
        failure or a kill midway never leaves a half-made project behind."""
        path = Path(os.path.abspath(path))
        if path.exists():
            raise ProjectError(f"{path} already exists; open it, or choose another project name")
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = _take_lock(path)
        temp = path.with_name(f".{path.name}.{os.getpid()}.creating")
        try:
            _remove_db_files(temp)
            conn = schema.connect(temp, readonly=False, create=True)
            try:
                _initialise(conn, dataset, path.parent)
            finally:
                conn.close()
            if path.exists():
                raise ProjectError(f"{path} appeared while the project was being made; not replaced")
            os.replace(temp, path)
            return cls(path, schema.connect(path, readonly=False), lock, readonly=False)
        except BaseException:
            _remove_db_files(temp)
            lock.release()
            raise

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Project:
        """Open an existing project. ProjectError when the file is missing, not a Tern project or of a
        newer schema; ProjectLockedError when another writer holds it (open it read-only instead)."""
        path = Path(os.path.abspath(path))
        if not path.is_file():
            raise ProjectError(f"there is no project file at {path}")
        lock = None if readonly else _take_lock(path)
        try:
            conn = schema.connect(path, readonly=readonly)
            try:
                _check_schema(conn, path)
            except BaseException:
                conn.close()
                raise
        except sqlite3.DatabaseError as exc:
            if lock is not None:
                lock.release()
            raise ProjectError(f"{path} is not a Tern project ({exc})") from exc
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return cls(path, conn, lock, readonly)

    def close(self) -> None:
        """Close the file and release the lock (a second call does nothing)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None  # type: ignore[assignment]
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r}, readonly={self.readonly})"

    # ------------------------------------------------------------------ reading
    def categories(self) -> list[Category]:
        """Every class in id order (YOLO class index = position)."""
        return queries.categories(self._conn)

    def problems(self) -> list[checks.ProjectProblem]:
        """What ``studio.store.checks`` finds wrong in the project (the problems dock lists it)."""
        return checks.find_problems(self._conn, self.path.parent)

    def box_sizes(self, limit: int = 20_000) -> tuple[np.ndarray, int]:
        """((N, 3) width, height, category_id of every k-th object, total objects): the scatter."""
        return figures.box_sizes(self._conn, limit)

    def category_counts(self) -> dict[int, int]:
        """category id -> number of objects (classes without objects are absent)."""
        return queries.category_counts(self._conn)

    @property
    def kpt_shape(self) -> tuple[int, int] | None:
        shape = self._meta.get("kpt_shape")
        return tuple(shape) if shape else None  # type: ignore[return-value]

    @property
    def flip_idx(self) -> tuple[int, ...] | None:
        flip = self._meta.get("flip_idx")
        return tuple(flip) if flip is not None else None

    def count_images(self, *, split: str | None = None, status: str | None = None,
                     search: str | None = None, category_id: int | None = None,
                     image_ids: frozenset[int] | None = None) -> int:
        """How many images ``page`` would give under the same filters."""
        held = self._hold_ids(image_ids)
        return queries.count_images(self._conn, split, status, search, category_id, held)

    def page(self, offset: int = 0, limit: int = 200, *, split: str | None = None,
             status: str | None = None, search: str | None = None,
             category_id: int | None = None, image_ids: frozenset[int] | None = None) -> list[ImageRow]:
        """Up to ``limit`` images from ``offset`` in file_name order, optionally filtered: ``search``
        is a substring of file_name (ASCII case-insensitive), ``category_id`` keeps images holding
        at least one object of that class, ``image_ids`` only those images (None: no restriction)."""
        held = self._hold_ids(image_ids)
        return queries.page(self._conn, self._dir, offset, limit, split, status, search, category_id, held)

    def _hold_ids(self, image_ids: frozenset[int] | None) -> int | None:
        """Put ``image_ids`` in this connection's ``temp.filter_ids`` (refilled only when it changed)
        and say how many it holds; None for None (no restriction)."""
        if image_ids is None:
            return None
        self._filter_ids = queries.hold_filter_ids(self._conn, frozenset(image_ids), self._filter_ids)
        return len(self._filter_ids)

    def image(self, image_id: int) -> ImageRow:
        return queries.image(self._conn, self._dir, image_id)

    def image_id_for_path(self, path: Path | str) -> int | None:
        """The image whose file is ``path`` (a link to it counts, e.g. a run's dataset/images), or None."""
        return queries.image_id_for_path(self._conn, self._dir, path)

    def annotations(self, image_id: int) -> list[AnnotationRow]:
        """The objects of one image in row-id order (``AnnotationRow.id`` is what edits name)."""
        return queries.annotations(self._conn, image_id)

    def sample(self, image_id: int) -> Sample:
        """One image as the domain Sample, extras included (ids are the source's COCO ids)."""
        return queries.sample(self._conn, self._dir, image_id)

    def missing_images(self) -> list[ImageRow]:
        """Images whose file is not where the project says, in file_name order."""
        return [row for row, _ in self._missing()]

    def to_dataset(self) -> Dataset:
        """Everything, for export: all extras, crowd boxes, ids, kpt_shape, splits, statuses."""
        return exporter.to_dataset(self._conn, self._dir)

    def _missing(self) -> list[tuple[ImageRow, str | None]]:
        return queries.missing_images(self._conn, self._dir)

    # ------------------------------------------------------------------ bulk changes
    def import_dataset(self, dataset: Dataset) -> int:
        """Add every sample of ``dataset`` (bulk; not undoable, and it clears the redo stack).
        Returns the number of images added."""
        self._check_writable()
        count = _bulk(self._conn, lambda: importer.import_rows(self._conn, dataset, self._dir))
        self._meta = importer.read_meta(self._conn)
        return count

    def relink(self, folder: Path | str) -> int:
        """Find missing images under ``folder`` (by relative-path suffix, then by unique basename) and
        point the project at them, as one undoable command. Returns how many were relinked."""
        self._check_writable()
        found = find_moved(self._missing(), folder)
        changes = tuple((i, to_stored(p, self._dir) or "") for i, p in sorted(found.items()))
        if changes:
            self.apply(cmd.Relink(changes, label=f"Relink {len(changes)} images"))
        return len(changes)

    # ------------------------------------------------------------------ edits and history
    def apply(self, command: cmd.Command) -> None:
        """Run ``command`` in one committed transaction and push it on the undo stack (a command that
        changes nothing is not recorded)."""
        self._apply(command)

    def undo(self) -> bool:
        """Undo the newest command; False when there is nothing to undo."""
        with self._transaction():
            done = history.undo(self._conn)
        self._meta = importer.read_meta(self._conn)  # a skeleton change may have been undone
        return done

    def redo(self) -> bool:
        """Redo the newest undone command; False when there is nothing to redo."""
        with self._transaction():
            done = history.redo(self._conn)
        self._meta = importer.read_meta(self._conn)
        return done

    @property
    def can_undo(self) -> bool:
        return bool(history.label(self._conn, "done"))

    @property
    def can_redo(self) -> bool:
        return bool(history.label(self._conn, "undone"))

    def undo_text(self) -> str:
        """Label of what undo would revert ('' when nothing), e.g. 'Add box'."""
        return history.label(self._conn, "done")

    def redo_text(self) -> str:
        return history.label(self._conn, "undone")

    def _apply(self, command: cmd.Command) -> list[Op]:
        with self._transaction():
            forward = command.ops(self._conn)
            if forward:
                ops.run(self._conn, forward)
                history.record(self._conn, type(command).__name__, command.label, forward)
        return forward

    def _check_writable(self) -> None:
        if self.readonly:
            raise ProjectError(f"{self.path.name} is opened read-only; reopen it for writing to edit")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._check_writable()
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # ------------------------------------------------------------------ edit builders
    def add_box(self, image_id: int, category_id: int, box: Any, keypoints: np.ndarray | None = None) -> int:
        """Add an object (box xyxy pixels, keypoints (K, 3) or None); returns its annotation id."""
        forward = self._apply(cmd.AddBox(image_id, category_id, tuple(box), keypoints))
        return int(forward[0]["row"]["id"])

    def add_boxes(self, image_id: int, objects: Any) -> list[int]:
        """Add several objects as one undoable command: ``objects`` is an iterable of (category_id, box
        xyxy pixels, keypoints (K, 3) or None). Returns their annotation ids in the same order."""
        items = tuple((int(c), tuple(box), kpts) for c, box, kpts in objects)
        forward = self._apply(cmd.AddBoxes(image_id, items, label=f"Add {len(items)} boxes"))
        return [int(op["row"]["id"]) for op in forward if op["op"] == "insert"]

    def set_box(self, ann_id: int, box: Any, *, move_keypoints: bool = False) -> None:
        """New xyxy ``box``; ``move_keypoints``: a move of the same size carries the keypoints along."""
        self._apply(cmd.SetBox(ann_id, tuple(box), move_keypoints=move_keypoints))

    def delete_box(self, ann_id: int) -> None:
        self._apply(cmd.DeleteBox(ann_id))

    def set_category(self, ann_id: int, category_id: int) -> None:
        self._apply(cmd.SetCategory(ann_id, category_id))

    def set_keypoint(self, ann_id: int, k: int, x: float, y: float, v: int) -> None:
        """Set keypoint k (0-based): add / move / delete = set v > 0 / new x, y / v = 0."""
        self._apply(cmd.SetKeypoint(ann_id, k, x, y, v))

    def set_keypoints(self, ann_id: int, keypoints: np.ndarray | None) -> None:
        self._apply(cmd.SetKeypoints(ann_id, keypoints))

    def set_status(self, image_id: int, status: str) -> None:
        self._apply(cmd.SetStatus(image_id, status, label=f"Mark {status.replace('_', ' ')}"))

    def set_split(self, image_id: int, split: str) -> None:
        self._apply(cmd.SetSplit(image_id, split, label=f"Move to {split}"))

    def add_class(self, name: str, supercategory: str = "") -> int:
        """Add a class with the next free id; returns that id."""
        forward = self._apply(cmd.AddClass(name, supercategory, label=f"Add class {name!r}"))
        return int(forward[0]["row"]["id"])

    def rename_class(self, category_id: int, name: str) -> None:
        self._apply(cmd.RenameClass(category_id, name, label=f"Rename class to {name!r}"))

    def merge_class(self, src_id: int, dst_id: int) -> None:
        """Move every object of class ``src_id`` to ``dst_id`` and remove ``src_id`` (undoable)."""
        self._apply(cmd.MergeClass(src_id, dst_id))

    def set_skeleton(self, names: Any, edges: Any, flip_idx: Any) -> None:
        """Keypoint names (K) and 1-based edges on every class, kpt_shape [K, 3] and flip_idx (0-based
        permutation) in meta, as one undoable command (see ``studio.skeletons`` for the formats).
        ProjectError for an invalid template or a K that objects' keypoints do not have."""
        self._apply(cmd.SetSkeleton(tuple(names), tuple(tuple(e) for e in edges), tuple(flip_idx)))
        self._meta = importer.read_meta(self._conn)

    # ------------------------------------------------------------------ where it came from
    @property
    def source(self) -> tuple[Path, str] | None:
        """(dataset path, format) this project was imported from, or None; format is one of
        ``studio.io.dataset.Format`` ("yolo", "coco", "coco-folder")."""
        found = self._meta.get("source")
        if not isinstance(found, dict) or not found.get("path"):
            return None
        return Path(os.path.normpath(os.path.join(self._dir, found["path"]))), str(found.get("format", ""))

    def set_source(self, path: Path | str, fmt: str) -> None:
        """Remember the dataset this project was imported from (meta ``source``: path relative to
        the project's folder, and its format); not an undoable edit."""
        with self._transaction():
            importer.write_meta(self._conn, {"source": {"path": to_stored(path, self._dir), "format": fmt}})
        self._meta = importer.read_meta(self._conn)


def _bulk(conn: sqlite3.Connection, work: Any) -> Any:
    """Run ``work()`` in one transaction with fsync and foreign-key checks off (the importer checks
    class ids itself); both are restored after, and the redo stack is dropped."""
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work()
            history.drop_redo(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    return result


def _initialise(conn: sqlite3.Connection, dataset: Dataset | None, project_dir: Path) -> None:
    """Tables, meta, the dataset's rows, then the indexes (faster after a bulk insert)."""
    schema.create_tables(conn)
    importer.write_meta(conn, {"schema_version": schema.SCHEMA_VERSION, "created_with": _created_with()})
    if dataset is not None:
        _bulk(conn, lambda: importer.import_rows(conn, dataset, project_dir))
    schema.create_indexes(conn)
    conn.execute("PRAGMA optimize")


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id != schema.APPLICATION_ID:
        raise ProjectError(f"{path} is not a Tern project (a SQLite file made by something else)")
    found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = int(found[0]) if found else 0
    if version > schema.SCHEMA_VERSION:
        raise ProjectError(f"{path} was made by a newer Tern Studio (project schema {version}, this one "
                           f"reads up to {schema.SCHEMA_VERSION}); update Tern Studio to open it")
