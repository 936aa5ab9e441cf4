"""The ``tern train`` command lines a client (the GUI) starts as worker processes, and the data they train on.

A GUI run trains on a YOLO export of the open project, written into the run folder (``<run>/dataset``) so
the run keeps exactly what it saw: the images marked done, with the project's splits (or, when the project
has no val split, the deterministic hash split training itself would use).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

from studio.annotations import Dataset
from studio.errors import ProjectError
from studio.io.splits import DEFAULT_VAL_FRACTION, hash_split
from studio.resources import is_frozen

TASKS = ("detect", "pose", "denoise")
DATASET_DIR = "dataset"
WORKER_FLAG = "--worker"  # `tern-studio --worker ARGS` runs `tern ARGS` (the frozen app's worker mode)
NEVER_PASSED = ("events",)  # the client tails events.jsonl; stdout goes to worker.log


def worker_argv() -> list[str]:
    """The worker program and its leading arguments: ``python -m studio.cli`` from a checkout or a wheel;
    in the frozen app its own executable in worker mode (``tern-studio --worker``, app/__main__.py), since
    the user's machine may have no Python at all."""
    if is_frozen():
        return [sys.executable, WORKER_FLAG]
    return [sys.executable, "-m", "studio.cli"]


def train_argv(task: str, options: dict[str, object]) -> list[str]:
    """``worker_argv() + ["train", task]`` and one flag per option, in the dict's order: underscores become
    dashes, True is the flag alone, False and None are left out, anything else is ``--name str(value)``.
    ``{"data": p, "epochs": 3, "no_export": True}`` -> ``--data p --epochs 3 --no-export``."""
    _check_task(task)
    argv = [*worker_argv(), "train", task]
    for key, value in options.items():
        if key in NEVER_PASSED or value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return argv


def resume_argv(run: Path | str, epochs: int | None = None) -> list[str]:
    """Continue ``run`` (``ROOT/<task>/<name>``) from its last.pt; a larger ``epochs`` extends it."""
    run = Path(run)
    _check_task(run.parent.name)
    argv = [*worker_argv(), "train", run.parent.name, "--resume", str(run)]
    return [*argv, "--epochs", str(int(epochs))] if epochs is not None else argv


def default_run_name(root: Path | str, task: str) -> str:
    """The first of train, train2, ... with no folder under ``root/<task>`` at all (the studio prepares
    the folder before the worker starts; ``next_run_dir`` then takes it, since no run wrote there)."""
    base, n = Path(root) / task, 2
    name = "train"
    while (base / name).exists():
        name, n = f"train{n}", n + 1
    return name


def export_split(project_path: Path | str, run: Path | str,
                 val_fraction: float = DEFAULT_VAL_FRACTION) -> Path:
    """Export the project's done images as YOLO into ``run/dataset`` (images hard-linked where possible)
    and return its data.yaml. An earlier ``run/dataset`` is replaced. ProjectError when no image is
    marked done."""
    from studio.io.export_project import export_project
    from studio.store.project import Project

    with Project.open(project_path, readonly=True) as project:
        dataset = training_split(project.to_dataset(), val_fraction)
    if not dataset.samples:
        raise ProjectError(f"{project_path}: no image is marked done; training uses done images only "
                           "(mark the finished images done first)")
    out = Path(run) / DATASET_DIR
    shutil.rmtree(out, ignore_errors=True)  # our own derived copy: stale labels must not survive
    export_project(dataset, out, "yolo", images="link", backup=False)
    return out / "data.yaml"


def training_split(dataset: Dataset, val_fraction: float = DEFAULT_VAL_FRACTION) -> Dataset:
    """What training sees (studio.engine.data_source): done images only; when none of them is in val,
    train images get the deterministic hash split (test images stay test)."""
    samples = [s for s in dataset.samples if s.status == "done"]
    if not any(s.split == "val" for s in samples):
        samples = [replace(s, split=hash_split(s.file_name, val_fraction)) if s.split != "test" else s
                   for s in samples]
    return replace(dataset, samples=samples)


def split_counts(dataset: Dataset, val_fraction: float = DEFAULT_VAL_FRACTION) -> dict[str, int]:
    """Images per split that a run would train on: ``{"train": n, "val": n, "test": n}``."""
    counts = {"train": 0, "val": 0, "test": 0}
    for sample in training_split(dataset, val_fraction).samples:
        counts[sample.split] = counts.get(sample.split, 0) + 1
    return counts


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"unknown training task {task!r}; choose one of {', '.join(TASKS)}")
