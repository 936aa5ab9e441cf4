"""Ultralytics-compatible YOLO detect and pose datasets: ``load_yolo`` and ``save_yolo``.

Layout (DESIGN section 3): a data.yaml names the dataset root (``path:``) and the train/val/test
images (folders, list files or lists of those); each image's label file is found by replacing the
LAST ``images`` path component with ``labels`` and the extension with ``.txt``. Inside the studio a
box is (x1, y1, x2, y2) pixels float64 of the EXIF-oriented image and keypoints are (K, 3) float64
x, y pixels, v in {0, 1, 2}; see studio/io/yolo_labels.py for the row format.

``load_yolo`` raises only when the path cannot be read (DatasetNotFoundError); every bad row, file
or yaml key becomes a Problem and the rest of the dataset is still read.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from studio.annotations import Dataset, Sample
from studio.io.images import (
    ImageReadError,
    image_files,
    is_image_file,
    read_image_head,
    read_image_size,
    verify_image,
)
from studio.io.problems import (
    BadDataYaml,
    MissingImage,
    MissingLabelFile,
    Problem,
    SplitsOverlap,
    UnreadableImage,
    UnreadableLabelFile,
)
from studio.io.yolo_labels import LabelSpec, parse_labels
from studio.io.yolo_save import save_yolo
from studio.io.yolo_yaml import YoloSpec, find_data_yaml, read_data_yaml
from studio.utils.gc_pause import gc_paused

__all__ = ["label_path_for", "load_yolo", "save_yolo"]

_IMAGES = f"{os.sep}images{os.sep}"
_LABELS = f"{os.sep}labels{os.sep}"
_CHUNK = 128  # images per thread-pool task
_READ_SIZE = 1 << 16
_WINDOW = 2048  # images read before they are parsed (bounds memory: HEAD_BYTES each)
_IGNORED_LABEL_FILES = ("classes.txt",)  # labelImg / Roboflow class lists beside the labels


class _Entry(NamedTuple):
    """One image to read: its split, absolute path, and the list file line that named it (if any)."""

    split: str
    image: str
    origin: tuple[Path, int] | None = None


@dataclass(frozen=True)
class _Context:
    root_prefix: str
    labels: LabelSpec
    verify_images: bool


def label_path_for(image: str | Path) -> str:
    """The YOLO label file of an image: last ``images`` component -> ``labels``, extension -> .txt."""
    text = os.fspath(image)
    cut = text.rfind(_IMAGES)
    if cut >= 0:
        text = text[:cut] + _LABELS + text[cut + len(_IMAGES):]
    return os.path.splitext(text)[0] + ".txt"


def load_yolo(path: Path | str, *, verify_images: bool = False) -> tuple[Dataset, list[Problem]]:
    """Read a YOLO dataset from its data.yaml (or the folder holding it).

    Returns the Dataset (categories sorted by id, YOLO index order; samples in train/val/test order,
    sorted by path within a folder) and every Problem found. ``verify_images`` decodes every image in
    full (slow) to catch truncated files; header problems are always reported.
    Raises DatasetNotFoundError when ``path`` is missing, not a yaml / a folder with one, or the yaml
    is not a mapping.
    """
    spec = read_data_yaml(find_data_yaml(path))
    problems: list[Problem] = list(spec.problems)
    entries = _collect_entries(spec, problems)
    context = _Context(root_prefix=os.path.join(str(spec.root), ""),
                       labels=LabelSpec(tuple(c.id for c in spec.categories), spec.kpt_shape),
                       verify_images=verify_images)
    used_labels: set[str] = set()
    with gc_paused():
        samples = _read_samples(entries, context, problems, used_labels)
    problems.extend(_orphan_labels(spec, used_labels))
    dataset = Dataset(categories=spec.categories, samples=samples, kpt_shape=spec.kpt_shape,
                      flip_idx=spec.flip_idx, extra=spec.extra, root=spec.root)
    return dataset, problems


def _collect_entries(spec: YoloSpec, problems: list[Problem]) -> list[_Entry]:
    """Every image of every split once (first split wins); overlaps become one warning per pair."""
    entries: list[_Entry] = []
    first_split: dict[str, str] = {}
    overlaps: Counter[tuple[str, str]] = Counter()
    for split, sources in spec.sources.items():
        for source, line in sources:
            if source.is_dir():
                found = [_Entry(split, image) for image in image_files(source)]
            elif is_image_file(source):
                found = [_Entry(split, str(source))]
            elif source.suffix.lower() == ".txt":
                found = _list_file_entries(split, source, spec.root, problems)
            else:
                problems.append(BadDataYaml(spec.yaml_path, line, f"{split}: {source} is not a folder, "
                                            "an image or a .txt list of images; fix the path in data.yaml"))
                continue
            for entry in found:
                earlier = first_split.get(entry.image)
                if earlier is None:
                    first_split[entry.image] = split
                    entries.append(entry)
                elif earlier != split:
                    overlaps[(earlier, split)] += 1
    for (first, second), count in overlaps.items():
        problems.append(SplitsOverlap(spec.yaml_path, None, first, second, count))
    return entries


def _list_file_entries(split: str, list_file: Path, root: Path, problems: list[Problem]) -> list[_Entry]:
    """Images named by a list file: one path per line, relative to the root (``./x``: also tried
    relative to the list file's folder, as Ultralytics does)."""
    try:
        text = list_file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        problems.append(BadDataYaml(list_file, None, f"cannot read this image list ({exc})"))
        return []
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        name = raw.strip()
        if not name or name.startswith("#"):
            continue
        image = Path(os.path.expanduser(name))
        if not image.is_absolute():
            image = root / name
            if name.startswith("./") and list_file.parent != root and not image.exists():
                image = list_file.parent / name
        if not is_image_file(image):
            problems.append(BadDataYaml(list_file, number, f"{name} is not an image file "
                                        "(jpg, jpeg, png, bmp, tif, tiff, webp); remove the line"))
            continue
        entries.append(_Entry(split, os.path.abspath(image), (list_file, number)))
    return entries


def _read_samples(entries: list[_Entry], context: _Context, problems: list[Problem],
                  used_labels: set[str]) -> list[Sample]:
    """Samples of ``entries``, a window at a time: worker threads read the raw bytes (image headers,
    label files; and decode whole images when verifying), then this thread parses them. Keeping
    the threads to I/O (Pillow decodes release the GIL) avoids GIL convoys with the parsing."""
    samples: list[Sample] = []
    workers = max(1, min(8, 2 * (os.cpu_count() or 1)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="yolo-read") as pool:
        for start in range(0, len(entries), _WINDOW):
            window = entries[start:start + _WINDOW]
            labels = [label_path_for(entry.image) for entry in window]
            used_labels.update(labels)
            pieces = [(window[i:i + _CHUNK], labels[i:i + _CHUNK]) for i in range(0, len(window), _CHUNK)]
            raw = [item for piece in pool.map(_read_files, pieces) for item in piece]
            verified = (list(pool.map(verify_image, [entry.image for entry in window]))
                        if context.verify_images else [None] * len(window))
            for entry, label, (head, text), reason in zip(window, labels, raw, verified, strict=True):
                sample = _make_sample(entry, label, head, text, context, problems)
                if sample is not None:
                    samples.append(sample)
                    if reason is not None:
                        problems.append(UnreadableImage(sample.path, None, reason))
    return samples


def _read_files(piece: tuple[list[_Entry], list[str]]) -> list[tuple[bytes | None, bytes | OSError | None]]:
    """(image head, label bytes or None when there is no label file) per entry (worker thread)."""
    return [(read_image_head(entry.image), _read_bytes(label)) for entry, label in zip(*piece, strict=True)]


def _read_bytes(path: str) -> bytes | OSError | None:
    """The file's bytes; None when it does not exist; the OSError when it cannot be read.
    (Raw os calls: a third of the system calls of ``open().read()``, which counts at 100,000 files.)"""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return exc
    try:
        chunks = [os.read(fd, _READ_SIZE)]
        while chunks[-1]:
            chunks.append(os.read(fd, _READ_SIZE))
        return b"".join(chunks)
    except OSError as exc:  # e.g. IsADirectoryError
        return exc
    finally:
        os.close(fd)


def _make_sample(entry: _Entry, label: str, head: bytes | None, data: bytes | OSError | None,
                 context: _Context, problems: list[Problem]) -> Sample | None:
    """The Sample of one image (None when the image cannot be read), its rows parsed."""
    image = Path(entry.image)
    try:
        width, height = read_image_size(image, head)
    except ImageReadError as exc:
        if exc.reason == "file not found" and entry.origin is not None:
            problems.append(MissingImage(entry.origin[0], entry.origin[1], image))
        else:
            problems.append(UnreadableImage(image, None, exc.reason))
        return None
    annotations = []
    if isinstance(data, OSError):
        problems.append(UnreadableLabelFile(Path(label), None, data.strerror or str(data)))
        data = None
    elif data is None:
        problems.append(MissingLabelFile(image, None))
    else:
        text = data.decode("utf-8-sig", errors="replace")
        annotations, found = parse_labels(text, label, context.labels, width, height)
        problems.extend(found)
    labeled = data is not None
    return Sample(file_name=_relative_name(entry.image, context.root_prefix), path=image, width=width,
                  height=height, split=entry.split, annotations=annotations, labeled=labeled,
                  status="done" if labeled else "unlabeled")


def _relative_name(image: str, root_prefix: str) -> str:
    """The image path relative to the dataset root, posix slashes ('../' when outside it)."""
    if image.startswith(root_prefix):
        relative = image[len(root_prefix):]
    else:
        relative = os.path.relpath(image, root_prefix)
    return relative.replace(os.sep, "/")


def _orphan_labels(spec: YoloSpec, used: set[str]) -> list[Problem]:
    """Label files under the labels folder of each image folder whose image was not found."""
    problems: list[Problem] = []
    scanned: set[str] = set()
    for sources in spec.sources.values():
        for source, _line in sources:
            if not source.is_dir():
                continue
            label_dir = os.path.dirname(label_path_for(os.path.join(str(source), "x")))
            if label_dir == str(source) or label_dir in scanned or not os.path.isdir(label_dir):
                continue
            scanned.add(label_dir)
            for label in _walk_txt(label_dir):
                if label in used or os.path.basename(label) in _IGNORED_LABEL_FILES:
                    continue
                stem = os.path.splitext(os.path.relpath(label, label_dir))[0]
                problems.append(MissingImage(Path(label), None, source / f"{stem}.*"))
    return problems


def _walk_txt(folder: str) -> list[str]:
    """Every *.txt file under ``folder``, sorted."""
    found = []
    for current, _dirs, files in os.walk(folder):
        found.extend(os.path.join(current, name) for name in files if name.endswith(".txt"))
    return sorted(found)
