"""Ultralytics ``data.yaml``: finding it, reading it into a YoloSpec, and writing it back.

Reading follows DESIGN section 3: the dataset root is ``path:`` (relative to the yaml's folder; the
yaml's folder when absent); ``train``/``val``/``test`` are folders, list files or lists of those;
``names`` is a list or a dict {index: name}; pose datasets give ``kpt_shape: [K, 2 or 3]`` and
optionally ``flip_idx``. A ``coco:`` mapping written by ``save_yolo`` restores the COCO category
ids, supercategories, keypoint names and skeleton. Keys the studio does not use land in ``extra``.
Only a path that cannot be read raises (DatasetNotFoundError); bad content becomes Problems.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from studio.annotations import SPLITS, Category, Dataset
from studio.errors import DatasetNotFoundError
from studio.io.problems import BadDataYaml, FlipIdxNotPermutation, Problem

YAML_NAMES = ("data.yaml", "data.yml")
# keys read (or written) by the studio; every other top-level key rides along in Dataset.extra
OWN_KEYS = ("path", "train", "val", "validation", "test", "names", "nc", "kpt_shape", "flip_idx", "coco")


@dataclass
class YoloSpec:
    """What a data.yaml says. ``sources``: split -> [(folder or list file, yaml line)], absolute."""

    yaml_path: Path
    root: Path
    sources: dict[str, list[tuple[Path, int | None]]] = field(default_factory=dict)
    categories: list[Category] = field(default_factory=list)
    kpt_shape: tuple[int, int] | None = None
    flip_idx: tuple[int, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def find_data_yaml(path: Path | str) -> Path:
    """The yaml file ``path`` names: itself, or the data.yaml (or single *.yaml) in that folder."""
    path = Path(path)
    if not path.exists():
        raise DatasetNotFoundError(path, "no such file or folder")
    if path.is_file():
        if path.suffix.lower() not in (".yaml", ".yml"):
            raise DatasetNotFoundError(path, "not a YOLO data.yaml; give the data.yaml or its folder")
        return path
    for name in YAML_NAMES:
        if (path / name).is_file():
            return path / name
    found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
    if len(found) == 1:
        return found[0]
    if not found:
        raise DatasetNotFoundError(path, "this folder holds no data.yaml; point at a YOLO data.yaml")
    names = ", ".join(p.name for p in found)
    raise DatasetNotFoundError(path, f"this folder holds several yaml files ({names}); name the one to use")


def read_data_yaml(yaml_path: Path) -> YoloSpec:
    """Parse ``yaml_path``. Raises DatasetNotFoundError only when it is unreadable or not a mapping."""
    try:
        text = yaml_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetNotFoundError(yaml_path, f"cannot read the file ({exc})") from exc
    spec = YoloSpec(yaml_path=yaml_path, root=yaml_path.parent.absolute())
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        spec.problems.append(BadDataYaml(yaml_path, line, f"YAML syntax error: {reason}; fix the file"))
        return spec
    if not isinstance(data, dict):
        raise DatasetNotFoundError(
            yaml_path, "this yaml is not a YOLO data.yaml (expected a mapping with train/val and names)")
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value} if node is not None else {}
    _Reader(spec, data, lines).read()
    return spec


class _Reader:
    """Fills a YoloSpec from the parsed mapping, one key group per method."""

    def __init__(self, spec: YoloSpec, data: dict, lines: dict[str, int]) -> None:
        self.spec, self.data, self.lines = spec, data, lines

    def bad(self, key: str | None, reason: str) -> None:
        line = self.lines.get(key) if key else None
        self.spec.problems.append(BadDataYaml(self.spec.yaml_path, line, reason))

    def read(self) -> None:
        self.read_root()
        self.read_splits()
        names = self.read_names()
        self.read_kpt_shape()
        self.read_flip_idx()
        self.read_categories(names)
        self.spec.extra = {str(k): v for k, v in self.data.items() if k not in OWN_KEYS}

    def read_root(self) -> None:
        value = self.data.get("path")
        if value in (None, ""):
            return
        if not isinstance(value, str):
            self.bad("path", f"path: {value!r} is not a folder name; using the yaml's folder")
            return
        root = Path(os.path.expanduser(value))
        root = root if root.is_absolute() else self.spec.yaml_path.parent / root
        self.spec.root = Path(os.path.abspath(root))
        if not self.spec.root.is_dir():
            self.bad("path", f"path: {value} -> {self.spec.root} is not a folder; fix path: in data.yaml")

    def read_splits(self) -> None:
        data = self.data
        if "val" not in data and "validation" in data:
            data = dict(data, val=data["validation"])
            self.lines.setdefault("val", self.lines.get("validation", 0))
        for split in SPLITS:
            value = data.get(split)
            if value in (None, "", []):
                continue
            entries = value if isinstance(value, list) else [value]
            for entry in entries:
                self.add_source(split, entry)
        if not self.spec.sources:
            self.bad(None, "data.yaml names no train/val/test images; add e.g. 'train: images/train'")

    def add_source(self, split: str, entry: Any) -> None:
        if not isinstance(entry, str) or not entry:
            self.bad(split, f"{split}: {entry!r} is not a folder or list file name")
            return
        path = Path(os.path.expanduser(entry))
        if not path.is_absolute():
            path = self.spec.root / path
            if not path.exists() and entry.startswith("../"):  # Roboflow exports, as Ultralytics reads them
                path = self.spec.root / entry[3:]
        path = Path(os.path.abspath(path))
        if not path.exists():
            self.bad(split, f"{split}: {entry} -> {path} does not exist; fix the path in data.yaml")
            return
        self.spec.sources.setdefault(split, []).append((path, self.lines.get(split)))

    def read_names(self) -> list[str]:
        names = self.data.get("names")
        nc = self.data.get("nc")
        if isinstance(nc, bool) or (nc is not None and (not isinstance(nc, int) or nc < 0)):
            self.bad("nc", f"nc: {nc!r} is not a class count")
            nc = None
        if names is None:
            count = nc or 0
            self.bad(None, f"data.yaml has no names; list the class names (using class_0..class_{count - 1})"
                     if count else "data.yaml has no names and no nc; list the class names under names:")
            return [f"class_{i}" for i in range(count)]
        result = self.names_from(names)
        if nc is not None and nc != len(result):
            self.bad("nc", f"nc: {nc} disagrees with the {len(result)} names; using the names")
        return result

    def names_from(self, names: Any) -> list[str]:
        if isinstance(names, list):
            return [str(n) for n in names]
        if not isinstance(names, dict):
            self.bad("names", "names must be a list or a mapping {index: name}")
            return []
        indexed: dict[int, str] = {}
        for key, name in names.items():
            if isinstance(key, bool) or not isinstance(key, int) or key < 0:
                self.bad("names", f"names key {key!r} is not a class index (0, 1, 2, ...)")
                continue
            indexed[key] = str(name)
        count = max(indexed) + 1 if indexed else 0
        missing = [i for i in range(count) if i not in indexed]
        if missing:
            self.bad("names", f"names has no entry for class indices {missing[:10]}; "
                              "number the classes 0..N-1 without gaps")
        return [indexed.get(i, f"class_{i}") for i in range(count)]

    def read_kpt_shape(self) -> None:
        value = self.data.get("kpt_shape")
        if value is None:
            return
        ok = (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
              and value[0] >= 1 and value[1] in (2, 3))
        if not ok:
            self.bad("kpt_shape", f"kpt_shape: {value!r} must be [K, 2] or [K, 3] with K >= 1; "
                                  "reading the dataset as boxes only")
            return
        self.spec.kpt_shape = (value[0], value[1])

    def read_flip_idx(self) -> None:
        value = self.data.get("flip_idx")
        if value is None:
            return
        if self.spec.kpt_shape is None:
            self.bad("flip_idx", "flip_idx is given without a valid kpt_shape; ignoring it")
            return
        k = self.spec.kpt_shape[0]
        ints = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        if not ints or sorted(value) != list(range(k)):
            shown = tuple(v for v in value if isinstance(v, int)) if isinstance(value, list) else ()
            self.spec.problems.append(
                FlipIdxNotPermutation(self.spec.yaml_path, self.lines.get("flip_idx"), shown, k))
            return
        self.spec.flip_idx = tuple(value)

    def read_categories(self, names: list[str]) -> None:
        plain = [Category(id=i + 1, name=n) for i, n in enumerate(names)]
        meta = self.data.get("coco")
        if meta is None:
            self.spec.categories = plain
            return
        k = self.spec.kpt_shape[0] if self.spec.kpt_shape else None
        categories, reason = categories_from_coco_meta(meta, names, k)
        if categories is None:
            self.bad("coco", f"coco: {reason}; using class index + 1 as category ids")
            categories = plain
        self.spec.categories = categories


def data_yaml_text(dataset: Dataset, splits: list[str]) -> tuple[str, list[str]]:
    """The data.yaml for ``dataset`` written by save_yolo (root = the yaml's folder) and notes.

    Keys: train/val/test (``images/<split>``, only those in ``splits``), nc, names {i: name} in
    category-id order, kpt_shape [K, 3] and flip_idx for pose, then Dataset.extra, then ``coco:``.
    """
    notes: list[str] = []
    categories = sorted(dataset.categories, key=lambda c: c.id)
    blocks = ["# YOLO dataset written by Tern Studio; the dataset root is this file's folder\n"]
    blocks += [f"{split}: images/{split}\n" for split in splits]
    blocks.append(_dump({"nc": len(categories)}))
    blocks.append(_dump({"names": {i: c.name for i, c in enumerate(categories)}}, flow=False))
    if dataset.kpt_shape is not None:
        k = dataset.kpt_shape[0]
        flip = list(dataset.flip_idx) if dataset.flip_idx else list(range(k))
        blocks.append(_dump({"kpt_shape": [k, 3], "flip_idx": flip}))
    for key, value in dataset.extra.items():
        if str(key) in OWN_KEYS:
            continue
        try:
            blocks.append(_dump({key: value}))
        except yaml.YAMLError:
            notes.append(f"did not write extra field '{key}' to data.yaml (not representable in YAML)")
    blocks.append(_dump({"coco": coco_meta(categories)}))
    return "".join(blocks), notes


def _dump(mapping: dict, *, flow: bool | None = None) -> str:
    """Top-level keys in block style; inner collections of scalars in flow style ([17, 3])
    unless ``flow`` is False."""
    if flow is None and not any(isinstance(v, (list, dict)) for v in mapping.values()):
        flow = False  # a mapping of scalars would otherwise become one flow line: {nc: 4}
    return yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, default_flow_style=flow, width=100)


def coco_meta(categories: list[Category]) -> dict[str, Any]:
    """The ``coco:`` mapping: categories (id, name, supercategory, extra fields), keypoint names and
    1-based skeleton pairs; a category whose keypoints/skeleton differ from the shared ones has its own."""
    keypoints = next((c.keypoints for c in categories if c.keypoints), ())
    skeleton = next((c.skeleton for c in categories if c.skeleton), ())
    entries = []
    for cat in categories:
        entry: dict[str, Any] = {"id": cat.id, "name": cat.name, "supercategory": cat.supercategory}
        if cat.keypoints != keypoints:
            entry["keypoints"] = list(cat.keypoints)
        if cat.skeleton != skeleton:
            entry["skeleton"] = [list(pair) for pair in cat.skeleton]
        entry.update({k: v for k, v in cat.extra.items() if k not in entry and k not in _META_FIELDS})
        entries.append(entry)
    return {"categories": entries, "keypoints": list(keypoints),
            "skeleton": [list(pair) for pair in skeleton]}


_META_FIELDS = ("id", "name", "supercategory", "keypoints", "skeleton")


def categories_from_coco_meta(meta: Any, names: list[str], num_keypoints: int | None
                              ) -> tuple[list[Category] | None, str]:
    """Categories (sorted by id) from a ``coco:`` mapping, or (None, why it does not fit ``names``)."""
    if not isinstance(meta, dict) or not isinstance(meta.get("categories"), list):
        return None, "expected a mapping with a categories list"
    keypoints, skeleton = _names(meta.get("keypoints", [])), _pairs(meta.get("skeleton", []))
    if keypoints is None or skeleton is None:
        return None, "keypoints must be a list of names and skeleton a list of [a, b] pairs"
    if keypoints and num_keypoints is not None and len(keypoints) != num_keypoints:
        return None, f"{len(keypoints)} keypoint names but kpt_shape has {num_keypoints} keypoints"
    categories = []
    for entry in meta["categories"]:
        cat = _category(entry, keypoints, skeleton)
        if cat is None:
            return None, f"category {entry!r} needs a positive integer id and a name"
        categories.append(cat)
    categories.sort(key=lambda c: c.id)
    if len({c.id for c in categories}) != len(categories):
        return None, "category ids repeat"
    if [c.name for c in categories] != names:
        return None, "its category names (sorted by id) differ from names"
    return categories, ""


def _category(entry: Any, keypoints: tuple[str, ...], skeleton: tuple[tuple[int, int], ...]
              ) -> Category | None:
    if not isinstance(entry, dict):
        return None
    cat_id, name = entry.get("id"), entry.get("name")
    if isinstance(cat_id, bool) or not isinstance(cat_id, int) or cat_id < 1 or name is None:
        return None
    own_kpts = _names(entry["keypoints"]) if "keypoints" in entry else keypoints
    own_skel = _pairs(entry["skeleton"]) if "skeleton" in entry else skeleton
    if own_kpts is None or own_skel is None:
        return None
    extra = {k: v for k, v in entry.items() if k not in _META_FIELDS}
    return Category(id=cat_id, name=str(name), supercategory=str(entry.get("supercategory") or ""),
                    keypoints=own_kpts, skeleton=own_skel, extra=extra)


def _names(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(str(v) for v in value)


def _pairs(value: Any) -> tuple[tuple[int, int], ...] | None:
    if not isinstance(value, list):
        return None
    pairs = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)):
            return None
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)
