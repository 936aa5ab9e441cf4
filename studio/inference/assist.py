"""Model-assisted labeling, headless: which weights a run folder means, a detector's classes matched to a
project's categories by name, which images count as unlabeled, and detections turned into suggestions.

A suggestion is not an annotation: the GUI keeps suggestions in memory and stores one only when the user
accepts it. Boxes are xyxy in the image's pixels (EXIF orientation applied, as the store's are); keypoints
are (K, 3) x, y, v with v = 2 where the model's keypoint confidence is >= KEYPOINT_VISIBLE, else 0.
Torch, onnxruntime and cv2 load only when a model is opened or an image predicted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.errors import CheckpointError, ConfigError

if TYPE_CHECKING:
    from studio.annotations import Category
    from studio.store.project import Project
    from studio.store.rows import ImageRow

DEFAULT_CONF = 0.25  # the score a detection needs to be suggested, unless the user picks another
DUPLICATE_IOU = 0.7  # a suggestion this close to an existing object of its class is not offered
WEIGHTS_IN_RUN = ("weights/best.pt", "model.onnx")  # what a run folder is opened as, first found wins


@dataclass(frozen=True)
class Suggestion:
    """One detection offered as an object: ``category_id`` of the project, ``box`` xyxy pixels inside
    the image, ``score`` in [0, 1], ``keypoints`` (K, 3) x, y, v or None."""

    category_id: int
    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray | None = None


@dataclass(frozen=True)
class ClassMap:
    """Model class index -> project category id (None: the project has no class of that name);
    ``missing`` names the model classes the project lacks, in model order."""

    ids: tuple[int | None, ...]
    missing: tuple[str, ...]

    def message(self, names: Sequence[str]) -> str:
        """What a person reads about the match, e.g. 'The model's classes ship, boat all exist in the
        project.' or which ones are missing."""
        if not self.missing:
            return f"The model's classes ({', '.join(names)}) all exist in the project."
        matched = [n for n, i in zip(names, self.ids, strict=True) if i is not None]
        found = f"Matched by name: {', '.join(matched)}. " if matched else "No class matched by name. "
        return (f"{found}The project has no class named {', '.join(self.missing)}: add "
                f"{'it' if len(self.missing) == 1 else 'them'} to the project, or skip "
                f"{'its' if len(self.missing) == 1 else 'their'} detections.")


def map_classes(names: Sequence[str], categories: Sequence[Category]) -> ClassMap:
    """Match each model class name to the project category of the same name (case and surrounding
    spaces ignored; the first category wins when two differ only in case)."""
    by_name: dict[str, int] = {}
    for cat in categories:
        by_name.setdefault(cat.name.strip().casefold(), cat.id)
    ids = tuple(by_name.get(str(n).strip().casefold()) for n in names)
    missing = tuple(str(n) for n, i in zip(names, ids, strict=True) if i is None)
    return ClassMap(ids, missing)


def resolve_weights(path: Path | str) -> Path:
    """The weights file ``path`` means: a file is itself; a run folder gives its weights/best.pt, else its
    model.onnx. CheckpointError when a folder has neither or the path does not exist."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        for name in WEIGHTS_IN_RUN:
            if (path / name).is_file():
                return path / name
        raise CheckpointError(path, "this folder holds no weights/best.pt and no model.onnx; pick a "
                                    "finished detect or pose run, or a .pt / .onnx file")
    raise CheckpointError(path, "no such run folder or weights file")


@dataclass(frozen=True)
class AssistModel:
    """An opened detector: ``predictor(list of RGB images) -> list of (n, 6 + 3K)`` arrays (see
    ``studio.inference.predictor``), its class ``names`` and ``num_keypoints`` K (0: boxes only)."""

    path: Path
    predictor: Any
    names: tuple[str, ...]
    num_keypoints: int


def open_model(path: Path | str, conf: float = DEFAULT_CONF, device: str = "") -> AssistModel:
    """Open a run folder, Tern checkpoint (.pt) or Tern ONNX export for pre-labeling, keeping detections
    scoring >= ``conf``. device: a ``--device`` spec ('' = the GPU when there is one). A RAW denoiser is
    refused with a ConfigError naming the file; CheckpointError for anything that is not Tern weights."""
    from studio.engine.checkpoint import DENOISER_HINT
    from studio.inference.load import load_predictor

    weights = resolve_weights(path)
    if weights.suffix.lower() not in (".pt", ".pth", ".onnx"):
        raise CheckpointError(weights, "not a weights file: pick a run folder, a .pt checkpoint or a "
                                       ".onnx export")
    try:
        predictor = load_predictor(weights, device=device, conf=conf)
    except ConfigError as exc:
        if DENOISER_HINT in str(exc):
            raise ConfigError(f"{weights}: {DENOISER_HINT}; pre-labeling needs a detect or pose "
                              "model") from exc
        raise
    return AssistModel(weights, predictor, tuple(predictor.names),
                       int(getattr(predictor, "num_keypoints", 0)))


def is_unlabeled(row: ImageRow) -> bool:
    """No objects and not marked done (a 'done, no objects' image is labeled: it is empty on purpose)."""
    return row.num_objects == 0 and row.status != "done"


def unlabeled_images(project: Project, page: int = 2000) -> list[ImageRow]:
    """Every unlabeled image of ``project`` in the list's file-name order, read page by page."""
    out: list[ImageRow] = []
    offset = 0
    while rows := project.page(offset, page):
        out.extend(row for row in rows if is_unlabeled(row))
        offset += len(rows)
    return out


def to_suggestions(dets: np.ndarray, class_map: ClassMap, conf: float, size: tuple[int, int],
                   num_keypoints: int = 0) -> list[Suggestion]:
    """Suggestions from one image's detections, best score first.

    dets: (n, 6 + 3K) x1, y1, x2, y2 original pixels, score, class index, then x, y, conf per keypoint;
    size: the image's (width, height). Kept: score >= conf, a class the map names, a box at least one
    pixel wide and high once clipped to the image. ``num_keypoints`` K > 0 keeps keypoints (K must be
    the model's); 0 drops them.
    """
    from studio.inference.writers import label_keypoints

    width, height = size
    rows = np.atleast_2d(np.asarray(dets, dtype=np.float64))
    if rows.shape[0] == 0 or rows.shape[1] < 6:
        return []
    out: list[Suggestion] = []
    for row in rows[np.argsort(-rows[:, 4], kind="stable")]:
        cls, score = int(row[5]), float(row[4])
        category = class_map.ids[cls] if 0 <= cls < len(class_map.ids) else None
        if score < conf or category is None:
            continue
        x1, x2 = np.clip(row[[0, 2]], 0, width)
        y1, y2 = np.clip(row[[1, 3]], 0, height)
        if x2 - x1 < 1 or y2 - y1 < 1:
            continue
        kpts = None
        if num_keypoints and len(row) >= 6 + 3 * num_keypoints:
            kpts = label_keypoints(row[6:6 + 3 * num_keypoints], (height, width))
        out.append(Suggestion(category, (float(x1), float(y1), float(x2), float(y2)), score, kpts))
    return out


def drop_existing(suggestions: Sequence[Suggestion], existing: Sequence[tuple[int, Sequence[float]]],
                  iou: float = DUPLICATE_IOU) -> list[Suggestion]:
    """The suggestions that do not repeat an object the image already has: ``existing`` is (category id,
    xyxy box) per object; a suggestion of the same class overlapping one by IoU >= ``iou`` is dropped."""
    if not existing or not suggestions:
        return list(suggestions)
    from studio.utils.boxes_np import box_iou

    overlap = box_iou(np.array([s.box for s in suggestions]), np.array([box for _, box in existing]))
    classes = np.array([c for c, _ in existing])
    return [s for s, row in zip(suggestions, overlap, strict=True)
            if not np.any((row >= iou) & (classes == s.category_id))]


def predict_suggestions(model: AssistModel, image_path: Path | str, class_map: ClassMap, conf: float,
                        num_keypoints: int = 0) -> list[Suggestion]:
    """Read one image (RGB, EXIF orientation applied), run the model and return its suggestions
    (``to_suggestions``). DatasetFormatError names an image that cannot be decoded."""
    from studio.data.decode import read_rgb

    image = read_rgb(image_path)
    (dets,) = model.predictor([image])
    return to_suggestions(dets, class_map, conf, (image.shape[1], image.shape[0]), num_keypoints)


def keypoints_kept(model_keypoints: int, project_kpt_shape: tuple[int, int] | None) -> int:
    """K to keep from a pose model's detections for a project: the model's K when the project's
    keypoint schema has the same K, else 0 (boxes only)."""
    if model_keypoints and project_kpt_shape and project_kpt_shape[0] == model_keypoints:
        return model_keypoints
    return 0


def newest_run(runs_root: Path | str | None, tasks: Sequence[str] = ("detect", "pose")) -> Path | None:
    """The run folder under ``runs_root/<task>/`` whose weights (``WEIGHTS_IN_RUN``) were written last,
    or None when there is none (what the pre-label dialog offers first)."""
    if runs_root is None:
        return None
    found: list[tuple[float, Path]] = []
    for task in tasks:
        folder = Path(runs_root) / task
        runs = [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
        for run in runs:
            weights = [run / name for name in WEIGHTS_IN_RUN if (run / name).is_file()]
            if weights:
                found.append((max(w.stat().st_mtime for w in weights), run))
    return max(found, key=lambda f: f[0])[1] if found else None
