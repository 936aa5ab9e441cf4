"""One entry point for every dataset source: YOLO (data.yaml or its folder), a COCO json, a folder
of COCO jsons (``annotations/*.json``, as ``save_coco_splits`` writes) or a project (``.tern``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from studio.annotations import Dataset
from studio.errors import DatasetNotFoundError
from studio.io.problems import CategoriesDiffer, Problem

Format = Literal["yolo", "coco", "coco-folder", "project"]
TARGETS = ("yolo", "coco")


def detect_format(path: Path | str) -> Format:
    """Which reader ``path`` needs; DatasetNotFoundError when none fits or it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise DatasetNotFoundError(path, "no such file or folder")
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".json":
            return "coco"
        if suffix in (".yaml", ".yml"):
            return "yolo"
        if suffix == ".tern":
            return "project"
        raise DatasetNotFoundError(
            path, "not a dataset file: give a YOLO data.yaml (or its folder), a COCO json or a .tern project")
    if any(path.glob("*.yaml")) or any(path.glob("*.yml")):
        return "yolo"
    if any((path / "annotations").glob("*.json")):
        return "coco-folder"
    raise DatasetNotFoundError(
        path, "this folder holds no data.yaml and no annotations/*.json; point at a YOLO data.yaml "
              "or a COCO json")


def load_dataset(path: Path | str, *, images_dir: Path | str | None = None,
                 verify_images: bool = False) -> tuple[Dataset, list[Problem]]:
    """Read any supported source. Bad rows become Problems; only an unreadable path raises."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "yolo":
        from studio.io.yolo import load_yolo

        return load_yolo(path, verify_images=verify_images)
    if fmt == "coco":
        from studio.io.coco import load_coco

        return load_coco(path, images_dir=images_dir, verify_images=verify_images)
    if fmt == "coco-folder":
        return _load_coco_folder(path, verify_images=verify_images)
    return _load_project(path), []


def save_dataset(dataset: Dataset, out_dir: Path | str, to: str, *, images: str = "link") -> list[str]:
    """Write ``dataset`` as a YOLO or COCO folder; returns notes on what the format cannot carry."""
    out_dir = Path(out_dir)
    if to == "yolo":
        from studio.io.yolo import save_yolo

        return save_yolo(dataset, out_dir, images=images)
    if to == "coco":
        from studio.io.coco import save_coco_splits

        return save_coco_splits(dataset, out_dir, images=images)
    raise ValueError(f"unknown target format {to!r}; choose one of {', '.join(TARGETS)}")


def _load_coco_folder(folder: Path, *, verify_images: bool) -> tuple[Dataset, list[Problem]]:
    """Merge ``folder/annotations/*.json`` (one per split) into one Dataset."""
    from studio.io.coco import load_coco

    merged: Dataset | None = None
    problems: list[Problem] = []
    for json_path in sorted((folder / "annotations").glob("*.json")):
        dataset, found = load_coco(json_path, verify_images=verify_images)
        problems.extend(found)
        if merged is None:
            merged, first = dataset, json_path
        elif dataset.categories != merged.categories:
            problems.append(CategoriesDiffer(json_path, None, first))
        else:
            merged.samples.extend(dataset.samples)
    assert merged is not None  # detect_format found at least one json
    merged.root = folder
    return merged, problems


def _load_project(path: Path) -> Dataset:
    from studio.store.project import Project

    with Project.open(path, readonly=True) as project:
        return project.to_dataset()
