"""COCO json datasets (instances and person_keypoints, and keypoint sets in that format: CrowdPose,
OCHuman, AP-10K, MacaquePose, COCO-WholeBody): ``load_coco``, ``save_coco``, ``save_coco_splits``.

Inside the studio a box is (x1, y1, x2, y2) float64 pixels and keypoints are (K, 3) float64 x, y, v;
COCO's xywh is converted only here (studio/io/coco_read.py, coco_write.py). Images are found
(DESIGN section 3) under ``images_dir`` if given, else the json's folder if the first image's
file_name resolves there, else ``<json folder>/../images/<split>`` then ``<json folder>/../<split>``,
where split is the json name's part after its last ``_`` (``instances_train2017`` -> ``train2017``).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from studio.annotations import SPLITS, Dataset, Sample
from studio.io.coco_categories import flip_idx_from_names, keypoint_counts, parse_categories
from studio.io.coco_read import AnnotationReader, parse_images
from studio.io.coco_sniff import describe_non_dataset, read_json
from studio.io.coco_write import save_coco, save_coco_splits
from studio.io.images import ImageReadError, read_image_size, verify_image
from studio.io.problems import (
    ImageSizeMismatch,
    MissingField,
    MissingImage,
    NotADataset,
    PathEscapesDataset,
    Problem,
    UnreadableImage,
)
from studio.io.splits import hash_split, split_from_name
from studio.utils.gc_pause import gc_paused

__all__ = ["image_roots", "load_coco", "save_coco", "save_coco_splits"]

_TOP_FIELDS = ("images", "annotations", "categories")


def load_coco(json_path: Path | str, *, images_dir: Path | str | None = None, split: str | None = None,
              verify_images: bool = False, check_sizes: bool = False) -> tuple[Dataset, list[Problem]]:
    """Read a COCO json into a Dataset (categories sorted by id, samples in file order).

    split: the split of every sample (default: the json name's train/val/test, else a hash of each
    file_name). verify_images decodes every image in full; check_sizes compares the json's
    width/height with each image's header. Raises DatasetNotFoundError only when the file cannot be
    read (and ValueError for a split other than train/val/test); everything else (syntax errors,
    files that are not datasets, bad entries) is a Problem.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"split={split!r}; choose one of {', '.join(SPLITS)}")
    json_path = Path(os.path.abspath(json_path))
    with gc_paused():
        data, problems = read_json(json_path)
        if problems:
            return Dataset(categories=[], samples=[], root=json_path.parent), problems
        what = describe_non_dataset(data)
        if what is not None:
            empty = Dataset(categories=[], samples=[], root=json_path.parent)
            return empty, [NotADataset(json_path, None, what)]
        dataset = _parse(data, json_path, _split_rule(json_path, split), problems)
        dataset.root = _resolve_paths(dataset.samples, image_roots(json_path, images_dir), json_path,
                                      problems)
        _inspect_images(dataset.samples, json_path, problems, verify_images, check_sizes)
        _read_annotations(data, dataset, json_path, problems)
    return dataset, problems


def _split_rule(json_path: Path, split: str | None) -> Callable[[str], str]:
    if split is not None:
        return lambda _name: split
    named = split_from_name(json_path.stem)
    if named is not None:
        return lambda _name: named
    return hash_split


def _parse(data: dict, json_path: Path, split_of: Callable[[str], str], problems: list[Problem]) -> Dataset:
    """Categories and samples (without paths or annotations yet)."""
    if "categories" not in data:
        problems.append(MissingField(json_path, None, "the file", "categories"))
    categories = parse_categories(data.get("categories"), json_path, problems)
    samples, _ = parse_images(data["images"], json_path, problems, split_of)
    extra = {k: v for k, v in data.items() if k not in _TOP_FIELDS}
    return Dataset(categories=categories, samples=samples, extra=extra)


def _read_annotations(data: dict, dataset: Dataset, json_path: Path, problems: list[Problem]) -> None:
    """Attach annotations to their samples; set kpt_shape and flip_idx from the keypoint categories."""
    counts = keypoint_counts(dataset.categories, data["annotations"], json_path, problems)
    by_id = {s.id: s for s in dataset.samples if s.id is not None}  # repeated ids were set to None
    AnnotationReader(json_path, problems, by_id, counts).read_all(data["annotations"])
    first = next((c for c in dataset.categories if counts[c.id]), None)
    if first is not None:
        k = counts[first.id]
        dataset.kpt_shape = (k, 3)
        dataset.flip_idx = flip_idx_from_names(first.keypoints) if len(first.keypoints) == k else None


def image_roots(json_path: Path, images_dir: Path | str | None) -> list[Path]:
    """Candidate images folders, in the order they are tried."""
    if images_dir is not None:
        return [Path(os.path.abspath(images_dir))]
    folder = json_path.parent
    split = json_path.stem.rsplit("_", 1)[-1]
    return [folder, folder.parent / "images" / split, folder.parent / split]


def relative_image_path(file_name: str) -> str | None:
    """``file_name`` normalised to a relative '/' path, or None when it is absolute or leaves its
    folder through ``..``."""
    name = file_name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    norm = posixpath.normpath(name)
    if norm in (".", "..") or norm.startswith("../"):
        return None
    return norm


def _resolve_paths(samples: list[Sample], roots: list[Path], json_path: Path,
                   problems: list[Problem]) -> Path:
    """Set each sample's path (None when not found or unsafe); returns the images folder."""
    relative = [relative_image_path(s.file_name) if s.file_name else None for s in samples]
    root = _choose_root(roots, relative)
    order = [root] + [r for r in roots if r != root]
    listings = [_listing(r) for r in order]
    for sample, rel in zip(samples, relative, strict=True):
        if rel is None:
            if sample.file_name:
                problems.append(PathEscapesDataset(json_path, None, sample.file_name))
            continue
        for folder, names in zip(order, listings, strict=True):
            candidate = os.path.join(folder, rel)
            if rel in names or os.path.isfile(candidate):
                sample.path = Path(candidate)
                break
        else:
            problems.append(MissingImage(json_path, None, root / rel))
    return root


def _choose_root(roots: list[Path], relative: list[str | None]) -> Path:
    """The first root where the first image is, else the first existing fallback folder."""
    first = next((rel for rel in relative if rel), None)
    if first is not None:
        for root in roots:
            if os.path.isfile(os.path.join(root, first)):
                return root
    return next((r for r in roots[1:] if r.is_dir()), roots[0])


def _listing(folder: Path) -> frozenset[str]:
    """Names directly in ``folder`` (one listing beats 100,000 stat calls for a flat folder)."""
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


def _inspect_images(samples: list[Sample], json_path: Path, problems: list[Problem],
                    verify_images: bool, check_sizes: bool) -> None:
    """Fill unknown sizes from image headers; compare sizes / decode images when asked (threaded)."""
    jobs = [s for s in samples if s.path is not None and (verify_images or check_sizes or not s.width
                                                          or not s.height)]
    missing_size = [s for s in samples if s.path is None and (not s.width or not s.height)]
    for sample in missing_size:
        entry = f"image id {sample.id} '{sample.file_name}'" if sample.id else f"image '{sample.file_name}'"
        problems.append(MissingField(json_path, None, entry, "width" if not sample.width else "height"))
    if not jobs:
        return
    workers = max(1, min(8, 2 * (os.cpu_count() or 1)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coco-images") as pool:
        results = pool.map(lambda s: _inspect(s.path, verify_images), jobs, chunksize=64)
        for sample, (size, reason) in zip(jobs, results, strict=True):
            _apply(sample, size, reason, check_sizes, problems)


def _inspect(path: Path, verify: bool) -> tuple[tuple[int, int] | None, str | None]:
    """(width, height) or None, and why the image cannot be read (None when it can)."""
    try:
        size = read_image_size(path)
    except ImageReadError as exc:
        return None, exc.reason
    return size, verify_image(path) if verify else None


def _apply(sample: Sample, size: tuple[int, int] | None, reason: str | None, check_sizes: bool,
           problems: list[Problem]) -> None:
    assert sample.path is not None
    if reason is not None:
        problems.append(UnreadableImage(sample.path, None, reason))
    if size is None:
        return
    declared = (sample.width, sample.height)
    if not sample.width or not sample.height:
        sample.width, sample.height = size
    elif check_sizes and declared != size:
        problems.append(ImageSizeMismatch(sample.path, None, declared, size))
