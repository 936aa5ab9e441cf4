"""From ``--data PATH`` to train and val records: which images train, which validate, and the class map."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from studio.annotations import Dataset
from studio.data.pose_info import PoseInfo, pose_info, pose_notes
from studio.data.records import ImageRecord, records_from_dataset
from studio.errors import DatasetFormatError
from studio.io.dataset import detect_format, load_dataset
from studio.io.problems import SplitsOverlap
from studio.io.splits import hash_split


@dataclass(frozen=True)
class TrainingData:
    train: list[ImageRecord]
    val: list[ImageRecord]
    names: list[str]          # class index -> name
    class_ids: list[int]      # class index -> the dataset's category id (COCO ids survive to predictions)
    notes: list[str]          # what the user should know (problems skipped, split made up, ...)
    pose: PoseInfo | None = None  # the keypoints of a pose dataset (kpt_shape set), else None


def load_training_data(path: str, images: str = "", val_fraction: float = 0.2) -> TrainingData:
    """Read any dataset source and split it. Rows with problems were skipped by the reader: their count
    is reported in ``notes``. A project trains only on images marked done (an image nobody finished
    would teach the model that its objects are background). ``pose`` is filled for a dataset with
    kpt_shape (DatasetFormatError when its data.yaml kpt_sigmas / skeleton do not fit K)."""
    dataset, problems = load_dataset(Path(path), images_dir=images or None)
    pose = pose_info(dataset)
    notes = pose_notes(dataset, pose) if pose is not None else []
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        notes.append(f"{len(errors)} label problems were skipped (first: {errors[0]}); "
                     f"`tern data check {path}` lists them all")
    if detect_format(Path(path)) == "project":
        dataset = _done_only(dataset, notes)
    if _val_is_train(problems) and not any(s.split == "val" for s in dataset.samples):
        notes.append("val lists the same images as train: the metrics measure how well the model fits "
                     "its training images, not how it generalises")
        data = TrainingData(records_from_dataset(dataset, "train"), records_from_dataset(dataset, "train"),
                            *_class_map(dataset), notes, pose)
        _check(data, path)
        return data
    if not any(s.split == "val" for s in dataset.samples):
        dataset = _hash_split(dataset, val_fraction)
        notes.append(f"the data has no val split: {val_fraction:.0%} of images (by a hash of the file name) "
                     "validate")
    data = TrainingData(records_from_dataset(dataset, "train"), records_from_dataset(dataset, "val"),
                        *_class_map(dataset), notes, pose)
    _check(data, path)
    return data


def _class_map(dataset: Dataset) -> tuple[list[str], list[int]]:
    cats = sorted(dataset.categories, key=lambda c: c.id)
    return [c.name for c in cats], [c.id for c in cats]


def _val_is_train(problems: list) -> bool:
    """YOLO data.yaml files often point val at the train images (tiny sets, overfit checks)."""
    return any(isinstance(p, SplitsOverlap) and p.first == "train" and p.second == "val" for p in problems)


def _done_only(dataset: Dataset, notes: list[str]) -> Dataset:
    kept = [s for s in dataset.samples if s.status == "done"]
    if len(kept) < len(dataset.samples):
        notes.append(f"{len(dataset.samples) - len(kept)} project images not marked done are left out")
    return replace(dataset, samples=kept)


def _hash_split(dataset: Dataset, val_fraction: float) -> Dataset:
    samples = [replace(s, split=hash_split(s.file_name, val_fraction)) if s.split != "test" else s
               for s in dataset.samples]
    return replace(dataset, samples=samples)


def _check(data: TrainingData, path: str) -> None:
    if not data.names:
        raise DatasetFormatError(path, None, "the dataset defines no classes")
    if not data.train:
        raise DatasetFormatError(path, None, "no training images were found (is the train split empty, "
                                             "or are the image files missing?)")
    if not any(len(r.boxes) for r in data.train):
        raise DatasetFormatError(path, None, "the training images carry no boxes; label some first")
    if not data.val:
        raise DatasetFormatError(path, None, "no validation images: add a val split or raise --val-fraction")
