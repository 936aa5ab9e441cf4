"""Exporting a project (or a Dataset) to a YOLO or COCO folder, safely, even into the source dataset.

``export_project(project, out_dir, "yolo" | "coco")`` writes what ``save_yolo`` / ``save_coco_splits``
write (data.yaml + labels/<split>/*.txt, or annotations/*.json; images under images/<split>/). When
``out_dir`` already holds files, the export is first written to a staging folder inside ``out_dir``
(images hard-linked there, so nothing large is copied), then each file is moved into place; every
existing file it replaces is first copied, bytes unchanged, to ``out_dir/backup-YYYYmmdd-HHMMSS/`` under
the same relative path. An image already in place (the same file) is left alone; no file that the export
does not write is touched or deleted.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from studio.annotations import Dataset
from studio.io.dataset import save_dataset

STAGING_PREFIX = ".tern-export-"
BACKUP_PREFIX = "backup-"


@dataclass
class ExportReport:
    """notes: what the format could not carry (from the writer); backup_dir: where replaced files
    were copied (None when nothing was replaced); files_written: paths written under out_dir."""

    notes: list[str]
    backup_dir: Path | None = None
    files_written: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for a message box."""
        lines = [f"Wrote {len(self.files_written)} files."]
        if self.backup_dir is not None:
            lines.append(f"The files it replaced were copied first to {self.backup_dir}.")
        if self.notes:
            lines += ["", "Not carried over:", *(f"• {note}" for note in self.notes)]
        return "\n".join(lines)


def export_project(project_or_dataset: Any, out_dir: Path | str, to: str, *, backup: bool = True,
                   images: str = "link", now: datetime | None = None) -> ExportReport:
    """Write a Project (anything with ``to_dataset()``) or a Dataset to ``out_dir`` as ``to``.

    images: "link" (hard links, else copies), "copy" or "none" (labels only). backup=False replaces
    files without copying them first. ``now`` names the backup folder (default: the local time).
    """
    dataset: Dataset = (project_or_dataset if isinstance(project_or_dataset, Dataset)
                        else project_or_dataset.to_dataset())
    out_dir = Path(out_dir).absolute()
    if not _has_files(out_dir):  # a new folder: nothing to replace
        notes = save_dataset(dataset, out_dir, to, images=images)
        return ExportReport(notes, None, _files_under(out_dir))
    staging = out_dir / f"{STAGING_PREFIX}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        notes = save_dataset(dataset, staging, to, images=images)
        written, backup_dir = _move_into_place(staging, out_dir, now or datetime.now(), backup)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportReport(notes, backup_dir, written)


def _move_into_place(staging: Path, out_dir: Path, now: datetime,
                     backup: bool) -> tuple[list[Path], Path | None]:
    """Move every staged file to the same place under out_dir, backing up what it replaces."""
    written: list[Path] = []
    backup_dir: Path | None = None
    for staged in _files_under(staging):
        rel = staged.relative_to(staging)
        target = out_dir / rel
        if target.is_file() and os.path.samefile(staged, target):
            continue  # an image already in place
        if backup and target.exists():
            if backup_dir is None:
                backup_dir = _new_backup_dir(out_dir, now)
            (backup_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup_dir / rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        written.append(target)
    return written, backup_dir


def _new_backup_dir(out_dir: Path, now: datetime) -> Path:
    base = out_dir / f"{BACKUP_PREFIX}{now:%Y%m%d-%H%M%S}"
    folder, number = base, 2
    while folder.exists():
        folder, number = base.with_name(f"{base.name}-{number}"), number + 1
    folder.mkdir(parents=True)
    return folder


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _files_under(folder: Path) -> list[Path]:
    """Plain files under ``folder`` in sorted order (symlinks and folders skipped)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def dataset_folder(source: Path | str, fmt: str) -> Path:
    """The folder an export "back into the source" writes to: a data.yaml's folder (or the YOLO folder
    itself), a COCO folder itself, and for a COCO json the folder above ``annotations/`` (else the
    json's folder)."""
    source = Path(source)
    if fmt == "coco":
        return source.parent.parent if source.parent.name == "annotations" else source.parent
    return source if source.is_dir() else source.parent


def export_format(fmt: str) -> str:
    """The writer for a source format: "yolo" stays yolo; "coco" and "coco-folder" are "coco"."""
    return "yolo" if fmt == "yolo" else "coco"
