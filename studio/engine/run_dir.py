"""Run folders: ``<project>/<task>/<name>`` with name train, train2, train3, ... by default."""

from __future__ import annotations

from pathlib import Path


def next_run_dir(project: Path | str, task: str, name: str = "") -> Path:
    """A new folder path: ``name`` as given when free, else name2, name3, ... A folder is taken once a run
    wrote into it (events.jsonl or weights/); one the studio prepared for its run (the exported dataset,
    worker.log) is still free for that run."""
    base = Path(project) / task
    stem = name or "train"
    candidate = base / stem
    n = 2
    while is_taken(candidate):
        candidate = base / f"{stem}{n}"
        n += 1
    return candidate


def is_taken(folder: Path) -> bool:
    return (folder / "events.jsonl").exists() or (folder / "weights").exists()

