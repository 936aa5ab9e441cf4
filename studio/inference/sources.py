"""What ``tern predict`` reads: one image file, a folder of images, or a dataset (YOLO data.yaml or its
folder, COCO json, folder of COCO jsons, .tern project). Yields (image_id, path, RGB image) in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from studio.data.decode import read_rgb
from studio.errors import DatasetFormatError, DatasetNotFoundError
from studio.io.images import IMAGE_EXTENSIONS, is_image_file

__all__ = ["iter_source", "list_source", "read_rgb"]

DATASET_SUFFIXES = (".yaml", ".yml", ".json", ".tern")


def list_source(source: Path | str) -> list[tuple[int, Path]]:
    """(image_id, path) of every image the source names, in order.

    An image file: id 1. A folder of images (not recursive, by extension, any case): sorted by name, ids
    from 1. A dataset (a file ending in .yaml / .yml / .json / .tern, or a folder holding a data.yaml or
    annotations/*.json): every sample whose image was found, with the dataset's image id (its position + 1
    when the format has none). DatasetNotFoundError when the source has no image at all.
    """
    source = Path(source)
    if not source.exists():
        raise DatasetNotFoundError(source, "no such image, folder or dataset")
    if source.is_file() and is_image_file(source):
        return [(1, source)]
    if _is_dataset(source):
        return _dataset_images(source)
    if source.is_dir():
        files = sorted((p for p in source.iterdir() if p.is_file() and is_image_file(p)),
                       key=lambda p: p.name)
        if files:
            return [(i + 1, p) for i, p in enumerate(files)]
    raise DatasetNotFoundError(source, "holds no images: give an image, a folder of images "
                                       f"({', '.join(IMAGE_EXTENSIONS)}) or a dataset")


def iter_source(source: Path | str,
                skipped: list[str] | None = None) -> Iterator[tuple[int, Path, np.ndarray]]:
    """(image_id, path, (H, W, 3) uint8 RGB with EXIF orientation applied) for each image of the source.

    An image that cannot be decoded raises DatasetFormatError, or when ``skipped`` is a list, is left out
    and its message appended there.
    """
    for image_id, path in list_source(source):
        try:
            rgb = read_rgb(path)
        except DatasetFormatError as exc:
            if skipped is None:
                raise
            skipped.append(str(exc))
            continue
        yield image_id, path, rgb


def _is_dataset(source: Path) -> bool:
    if source.is_file():
        return source.suffix.lower() in DATASET_SUFFIXES
    return (any(source.glob("*.yaml")) or any(source.glob("*.yml"))
            or any((source / "annotations").glob("*.json")))


def _dataset_images(source: Path) -> list[tuple[int, Path]]:
    from studio.io.dataset import load_dataset

    dataset, _ = load_dataset(source)
    return [(sample.id if sample.id is not None else position + 1, Path(sample.path))
            for position, sample in enumerate(dataset.samples) if sample.path is not None]
