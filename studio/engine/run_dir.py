"""Run folders: ``<project>/<task>/<name>`` with name train, train2, train3, ... by default."""

from __future__ import annotations

from pathlib import Path


def next_run_dir(project: Path | str, task: str, name: str = "") -> Path:
    """A new folder path (not created): ``name`` as given when free, else name2, name3, ..."""
    base = Path(project) / task
    stem = name or "train"
    candidate = base / stem
    n = 2
    while candidate.exists():
        candidate = base / f"{stem}{n}"
        n += 1
    return candidate

