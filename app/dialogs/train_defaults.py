"""What the training dialog proposes (no widgets here): the project's split as a run would see it, model
and schedule defaults by task, architecture and data size, the devices and the model zoo's names.

torch and the model registry load only when ``devices()`` / ``zoo()`` are first called (the dialog opens),
never when the window starts.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from studio.annotations import Dataset

RUNS_DIR = "runs"  # the GUI's runs live in <project folder>/runs/<task>/<name> (DESIGN section 3)
DETECTOR_SIZES = ("n", "s", "m")
DENOISE_ARCHS = ("nafnet", "unet")
DENOISE_SIZES = ("small", "width32")
OPTIMIZERS = ("auto", "sgd", "adamw")
AUTO_DEVICE = "auto"
# data size (training images) -> model size and epochs: more data carries a larger model, and each epoch
# already shows the model many images
SIZE_BY_DATA = ((1_000, "n", 100), (10_000, "s", 100), (None, "m", 50))


def runs_root(project_path: Path | str | None) -> Path | None:
    """``<project folder>/runs``, or None without a project."""
    return Path(project_path).parent / RUNS_DIR if project_path is not None else None


def project_runs_root(project: Any) -> Path | None:
    """The runs folder of an open studio.store.project.Project, or None for None."""
    return runs_root(project.path) if project is not None else None


@dataclass(frozen=True)
class SplitSummary:
    """The images a run trains on (the project's done images; the hash split when none is in val)."""

    train: int
    val: int
    test: int
    left_out: int      # images not marked done: training leaves them out
    made_up: bool      # no done image is in val: val is the deterministic hash split at the val fraction

    def text(self, val_fraction: float) -> str:
        parts = [f"{self.train} train", f"{self.val} val"] + ([f"{self.test} test"] if self.test else [])
        how = (f"no val split in the project: {val_fraction:.0%} of the images by a hash of the file name"
               if self.made_up else "the project's own split")
        left = f"; {self.left_out} images not marked done are left out" if self.left_out else ""
        return f"{', '.join(parts)} ({how}){left}"


class ProjectData:
    """The project's images, read once when the dialog opens; ``summary`` re-splits in memory."""

    def __init__(self, dataset: Dataset, kpt_shape: tuple[int, int] | None) -> None:
        self.dataset = dataset
        self.has_keypoints = kpt_shape is not None
        done = [s for s in dataset.samples if s.status == "done"]
        self.left_out = len(dataset.samples) - len(done)
        self.made_up = not any(s.split == "val" for s in done)
        sides = [max(s.width, s.height) for s in done if s.width and s.height]
        self.median_side = int(statistics.median(sides)) if sides else 0

    @classmethod
    def from_project(cls, project: Any) -> ProjectData:
        """``project``: an open studio.store.project.Project."""
        return cls(project.to_dataset(), project.kpt_shape)

    def summary(self, val_fraction: float) -> SplitSummary:
        from studio.jobs.train_command import split_counts

        counts = split_counts(self.dataset, val_fraction)
        return SplitSummary(counts["train"], counts["val"], counts["test"], self.left_out, self.made_up)


def suggested(task: str, arch: str, n_train: int, median_side: int) -> dict[str, Any]:
    """Defaults for the dialog's fields: the CLI's defaults for the task and architecture
    (studio.engine.config), a model size and epochs by the number of training images, an image size no
    larger than the images (a multiple of 32), and a batch no larger than the training set."""
    from studio.engine.config import ARCH_DEFAULTS, TASK_DEFAULTS, TrainConfig

    base = TrainConfig()
    values: dict[str, Any] = {"arch": base.arch, "model": base.model, "backbone": base.backbone,
                              "neck": base.neck, "imgsz": base.imgsz, "epochs": base.epochs,
                              "batch": base.batch, "patience": base.patience, "optimizer": base.optimizer,
                              "workers": base.workers, "seed": base.seed}
    if task == "denoise":
        values.update({k: v for k, v in TASK_DEFAULTS["denoise"].items() if k in values})
        return {**values, "arch": arch if arch in DENOISE_ARCHS else values["arch"]}
    values["arch"] = arch
    recipe = ARCH_DEFAULTS.get(arch, {})
    values.update({k: v for k, v in recipe.items() if k in values})
    if not recipe:  # the one-stage recipe scales with the data; faster_rcnn keeps its "1x" recipe
        values["model"], values["epochs"] = _size_for(n_train)
    if median_side:
        values["imgsz"] = min(values["imgsz"], max(64, _round_up(median_side, 32)))
    if n_train:
        values["batch"] = min(values["batch"], n_train)
    return values


def _size_for(n_train: int) -> tuple[str, int]:
    for limit, size, epochs in SIZE_BY_DATA:
        if limit is None or n_train < limit:
            return size, epochs
    raise AssertionError("SIZE_BY_DATA ends with an open row")


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


@dataclass(frozen=True)
class Zoo:
    """Names the model registry knows (studio.models.registry)."""

    archs: tuple[str, ...]
    backbones: tuple[str, ...]
    necks: tuple[str, ...]
    scaled: tuple[str, ...]       # backbones built at the size's width and depth (one-stage only)

    def backbones_for(self, arch: str) -> tuple[str, ...]:
        """faster_rcnn needs a stride-4 map: the zoo backbones, not the scaled YOLO ones."""
        return tuple(b for b in self.backbones if arch != "faster_rcnn" or b not in self.scaled)


@cache
def zoo() -> Zoo:
    from studio.models import registry

    return Zoo(tuple(registry.ARCHS), tuple(registry.BACKBONES), tuple(registry.NECKS),
               tuple(registry.SCALED_BACKBONES))


@cache
def devices() -> tuple[tuple[str, str], ...]:
    """(--device value, label) pairs: auto first, then the CPU, each CUDA GPU, and all GPUs (DDP) when
    there are several."""
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    gpus = [(str(i), f"GPU {i}: {torch.cuda.get_device_name(i)}") for i in range(count)]
    auto = f"Auto ({'GPU 0' if count else 'CPU: no CUDA GPU found'})"
    every = [(",".join(str(i) for i in range(count)), f"All {count} GPUs (DDP)")] if count > 1 else []
    return ((AUTO_DEVICE, auto), ("cpu", "CPU"), *gpus, *every)
