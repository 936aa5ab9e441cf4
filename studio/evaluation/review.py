"""The review file of a validation: ``<run>/review.json``, what the Results view shows without a model.

Validation writes it beside ``plots/`` whenever it writes the plots (the end of every detect / pose run and
``tern val``): the class names, mAP, the per-class AP table, the PR and P / R / F1 curves (subsampled to
``CURVE_POINTS`` confidences to keep the file small), and per val image its ground truth and the detections
scoring at least ``keep_conf`` (at most ``max_dets``, best first).

Reading it back (``load_review``) gives a ``Review``; ``match_image`` says which detections are true or
false positives and which objects were missed at a confidence, ``worst_first`` orders the images by their
errors and ``confusion_at`` recomputes the confusion matrix at any confidence. A detection counts when its
score is above the confidence (as ``ConfusionMatrix`` and the plots count), so at 0.25 the matrix equals
``plots/confusion_matrix.png``. Crowd ground truth is left out (it is neither found nor missed).

File layout (JSON, version 1; nan is written as null)::

    {"version": 1, "names": [...], "map50", "map", "precision", "recall", "best_conf",
     "per_class": [[name, images, instances, ap50, ap], ...],
     "curves": {"recall_points": (101,), "pr": (nc, 101), "confidence": (C,), "p", "r", "f1": (nc, C)},
     "images": [{"id", "path", "width", "height", "gt": [[x1, y1, x2, y2, class], ...],
                 "dets": [[x1, y1, x2, y2, score, class], ...]}, ...]}

A pose validation adds ``"skeleton": [[a, b], ...]`` (1-based keypoint edges) at the top and, per image,
``"gt_kpts"`` and ``"det_kpts"``: one [x1, y1, v1, ..., xK, yK, vK] row per gt / det row (v: the label's
visibility 0 / 1 / 2, or the model's keypoint confidence).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.errors import StudioError
from studio.utils.atomic import atomic_write_text
from studio.utils.boxes_np import box_iou

if TYPE_CHECKING:
    from studio.data.records import ImageRecord
    from studio.engine.data_source import TrainingData
    from studio.evaluation.coco_map import DetectionMetrics

REVIEW_FILE = "review.json"
VERSION = 1
CURVE_POINTS = 200  # confidences kept of the P / R / F1 curves
MAX_DETS = 100  # detections kept per image, best first


class ReviewError(StudioError):
    """A review file cannot be read: ``path`` and ``reason``."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True, eq=False)
class ReviewImage:
    """One val image. gt_boxes (m, 4) float xyxy pixels of the (EXIF-oriented) image; gt_classes (m,) int64
    class index; dets (n, 6) float x1, y1, x2, y2, score, class index (scores >= the file's keep_conf);
    a pose review's gt_kpts (m, K, 3) and det_kpts (n, K, 3) x, y pixels, visibility / confidence."""

    image_id: int
    path: str
    width: int
    height: int
    gt_boxes: np.ndarray
    gt_classes: np.ndarray
    dets: np.ndarray
    gt_kpts: np.ndarray | None = None
    det_kpts: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Review:
    """A whole review file. per_class: (name, images, instances, ap50, ap) per class index (nan AP for a
    class without ground truth); recall_points (101,); pr (nc, 101) precision at those recalls (nan rows
    for classes without ground truth); confidence (C,); p, r, f1 (nc, C) over those confidences."""

    names: list[str]
    images: list[ReviewImage]
    map50: float
    map: float
    per_class: list[tuple[str, int, int, float, float]]
    recall_points: np.ndarray
    pr: np.ndarray
    confidence: np.ndarray
    p: np.ndarray
    r: np.ndarray
    f1: np.ndarray
    best_conf: float
    precision: float = 0.0
    recall: float = 0.0
    skeleton: tuple[tuple[int, int], ...] = ()  # a pose review's 1-based keypoint edges


@dataclass(frozen=True, eq=False)
class ImageMatch:
    """Indices into the image's ``dets`` (tp, fp) and ``gt_boxes`` (missed), each (k,) int64 ascending."""

    tp: np.ndarray
    fp: np.ndarray
    missed: np.ndarray

    @property
    def errors(self) -> int:
        return len(self.fp) + len(self.missed)


# ---------------------------------------------------------------------------------------------- writing
def write_review(path: Path | str, data: TrainingData, predictions: dict[int, np.ndarray],
                 detail: DetectionMetrics, keep_conf: float = 0.01, max_dets: int = MAX_DETS,
                 skeleton: Sequence[tuple[int, int]] = ()) -> Path:
    """Write the review of ``data.val`` (predictions: image id -> (n, 6 + 3K) ORIGINAL px, score, class
    index, then a pose model's K keypoints x, y, conf) atomically; returns ``path``. Keypoints are kept
    when the data has them (``data.pose``), with ``skeleton`` for drawing."""
    path = Path(path)
    curves = detail.curves
    pose = data.pose is not None
    keep = np.unique(np.linspace(0, len(curves.confidence) - 1, CURVE_POINTS).round().astype(int))
    doc = {
        "version": VERSION, "names": [str(n) for n in data.names],
        "map50": float(detail.map50), "map": float(detail.map), "precision": float(detail.precision),
        "recall": float(detail.recall), "best_conf": float(curves.best_conf),
        "per_class": [[str(n), int(i), int(k), _number(a50), _number(a)]
                      for n, i, k, a50, a in detail.per_class],
        "curves": {"recall_points": _plain(curves.recall_points), "pr": _plain(curves.pr),
                   "confidence": _plain(curves.confidence[keep]), "p": _plain(curves.p[:, keep]),
                   "r": _plain(curves.r[:, keep]), "f1": _plain(curves.f1[:, keep])},
        "images": [_image_entry(rec, predictions.get(rec.image_id), keep_conf, max_dets, pose)
                   for rec in data.val],
    }
    if pose:
        doc["skeleton"] = [[int(a), int(b)] for a, b in skeleton]
    atomic_write_text(path, json.dumps(doc, separators=(",", ":"), allow_nan=False))
    return path


def _image_entry(rec: ImageRecord, dets: np.ndarray | None, keep_conf: float, max_dets: int,
                 pose: bool = False) -> dict[str, Any]:
    crowd = np.asarray(rec.crowd, dtype=bool).reshape(-1)
    boxes = np.asarray(rec.boxes, dtype=np.float64).reshape(-1, 4)[~crowd]
    classes = np.asarray(rec.classes, dtype=np.float64).reshape(-1)[~crowd]
    dets = np.zeros((0, 6)) if dets is None else np.asarray(dets, dtype=np.float64)
    dets = dets.reshape(-1, dets.shape[-1] if dets.ndim == 2 else 6)
    dets = dets[dets[:, 4] >= keep_conf]
    dets = dets[np.argsort(-dets[:, 4], kind="stable")[:max_dets]]
    kpts = dets[:, 6:]
    dets = dets[:, :6]
    width, height = int(rec.width), int(rec.height)
    if width <= 0 or height <= 0:  # the dataset did not say: read it from the header
        from studio.io.images import read_image_size

        width, height = read_image_size(rec.path)
    entry = {"id": int(rec.image_id), "path": os.path.abspath(rec.path), "width": width, "height": height,
             "gt": np.round(np.column_stack([boxes, classes]), 2).tolist(),
             "dets": np.column_stack([np.round(dets[:, :4], 2), np.round(dets[:, 4], 4),
                                      dets[:, 5]]).tolist()}
    if pose:
        gt_kpts = np.zeros((len(boxes), 0)) if rec.keypoints is None else \
            np.asarray(rec.keypoints, dtype=np.float64)[~crowd].reshape(len(boxes), -1)
        entry["gt_kpts"] = np.round(gt_kpts, 2).tolist()
        entry["det_kpts"] = np.round(kpts, 3).tolist()
    return entry


def _plain(a: np.ndarray, digits: int = 5) -> list:
    """A float array as nested lists, rounded, non-finite values as None (JSON null)."""
    a = np.asarray(a, dtype=np.float64)
    out = np.round(a, digits).astype(object)
    out[~np.isfinite(a)] = None
    return out.tolist()


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


# ---------------------------------------------------------------------------------------------- reading
def load_review(path: Path | str) -> Review:
    """Read a review file; ReviewError naming the file when it is missing, not JSON, or not shaped as
    ``write_review`` writes it."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReviewError(path, "no review file (validation writes it with the plots)") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReviewError(path, f"not a readable review file ({exc})") from exc
    if not isinstance(doc, dict):
        raise ReviewError(path, "not a review file (expected a JSON object)")
    if doc.get("version") != VERSION:
        raise ReviewError(path, f"review file version {doc.get('version')!r}, this studio reads {VERSION}")
    try:
        return _review(doc)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ReviewError(path, f"malformed review file: {type(exc).__name__} {exc}") from exc


def _review(doc: dict[str, Any]) -> Review:
    names = [str(n) for n in doc["names"]]
    nc = len(names)
    curves = doc["curves"]
    recall_points = _array(curves["recall_points"], (None,), "recall_points")
    confidence = _array(curves["confidence"], (None,), "confidence")
    pr = _array(curves["pr"], (nc, len(recall_points)), "pr")
    p, r, f1 = (_array(curves[k], (nc, len(confidence)), k) for k in ("p", "r", "f1"))
    per_class = [(str(n), int(i), int(k), _float(a50), _float(a)) for n, i, k, a50, a in doc["per_class"]]
    if len(per_class) != nc:
        raise ValueError(f"per_class has {len(per_class)} rows for {nc} classes")
    images = [_image(entry, nc) for entry in doc["images"]]
    skeleton = tuple((int(a), int(b)) for a, b in doc.get("skeleton", ()))
    return Review(names, images, float(doc["map50"]), float(doc["map"]), per_class, recall_points, pr,
                  confidence, p, r, f1, float(doc["best_conf"]), float(doc.get("precision", 0.0)),
                  float(doc.get("recall", 0.0)), skeleton)


def _image(entry: dict[str, Any], nc: int) -> ReviewImage:
    gt = _array(entry["gt"] or np.zeros((0, 5)), (None, 5), "gt")
    dets = _array(entry["dets"] or np.zeros((0, 6)), (None, 6), "dets")
    for what, classes in (("gt", gt[:, 4]), ("dets", dets[:, 5])):
        if len(classes) and (classes.min() < 0 or classes.max() >= nc):
            raise ValueError(f"image {entry['id']}: a {what} class index is outside 0..{nc - 1}")
    return ReviewImage(int(entry["id"]), str(entry["path"]), int(entry["width"]), int(entry["height"]),
                       gt[:, :4].copy(), gt[:, 4].astype(np.int64), dets,
                       _keypoints(entry.get("gt_kpts"), len(gt), "gt_kpts"),
                       _keypoints(entry.get("det_kpts"), len(dets), "det_kpts"))


def _keypoints(value: Any, rows: int, name: str) -> np.ndarray | None:
    """(rows, K, 3) of a pose review's keypoint rows (None when the file has none)."""
    if value is None:
        return None
    if not rows:
        return np.zeros((0, 0, 3))
    a = np.asarray(value, dtype=np.float64).reshape(rows, -1)
    if a.shape[1] % 3:
        raise ValueError(f"{name} rows have {a.shape[1]} values, not 3 per keypoint")
    return a.reshape(rows, -1, 3)


def _array(value: Any, shape: tuple[int | None, ...], name: str) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    fits = a.ndim == len(shape) and all(want is None or got == want
                                        for got, want in zip(a.shape, shape, strict=True))
    if not fits:
        expected = tuple("*" if s is None else s for s in shape)
        raise ValueError(f"{name} has shape {a.shape}, expected {expected}")
    return a


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


# ---------------------------------------------------------------------------------------------- review
def match_image(img: ReviewImage, conf: float, iou: float = 0.5) -> ImageMatch:
    """Greedy matching of the detections scoring above ``conf``, best score first: each takes the unmatched
    ground truth of its class with the highest IoU, if that IoU is >= ``iou`` (then it is a true positive,
    else a false positive); ground truth left unmatched is missed."""
    return _cut(img, *_greedy(img, iou), conf)


def _greedy(img: ReviewImage, iou: float) -> tuple[np.ndarray, np.ndarray]:
    """The matching of every detection: (order (n,) detection indices by descending score, took (n,) the
    ground truth index each took in that order, -1 for a false positive). The matching at a confidence
    is a prefix of it (a detection's fate depends only on the better-scoring ones)."""
    order = np.argsort(-img.dets[:, 4], kind="stable")
    overlap = box_iou(img.dets[order, :4], img.gt_boxes)  # (n, m)
    same = img.dets[order, 5].astype(np.int64)[:, None] == img.gt_classes[None, :]
    overlap = np.where(same & (overlap >= iou), overlap, -1.0)
    taken = np.zeros(len(img.gt_boxes), dtype=bool)
    took = np.full(len(order), -1, dtype=np.int64)
    for row in np.flatnonzero((overlap >= 0).any(axis=1)):  # the others are false positives whatever comes
        candidates = np.where(taken, -1.0, overlap[row])
        best = int(candidates.argmax())
        if candidates[best] >= 0:
            taken[best] = True
            took[row] = best
    return order, took


def _cut(img: ReviewImage, order: np.ndarray, took: np.ndarray, conf: float) -> ImageMatch:
    """The matching at ``conf`` from ``_greedy``'s: its prefix of detections scoring above ``conf``."""
    shown = int(np.count_nonzero(img.dets[order, 4] > conf))
    order, took = order[:shown], took[:shown]
    found = took >= 0
    return ImageMatch(np.sort(order[found]), np.sort(order[~found]),
                      np.setdiff1d(np.arange(len(img.gt_boxes)), took[found]).astype(np.int64))


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Every image's matching at the lowest confidence, so that the errors of all images at any confidence
    are a few array operations (a slider can move freely) and one image's ``match`` is cheap.
    D: all detections, image by image; N: images."""

    review: Review
    orders: list[np.ndarray]   # per image: ``_greedy``'s order
    took: list[np.ndarray]     # per image: ``_greedy``'s took
    scores: np.ndarray         # (D,) score
    false: np.ndarray          # (D,) bool: a false positive whenever shown
    image_of: np.ndarray       # (D,) image index
    gt_count: np.ndarray       # (N,) ground truth per image

    def errors(self, conf: float) -> np.ndarray:
        """(N,) false positives + missed objects of each image at ``conf``."""
        shown = self.scores > conf
        n = len(self.gt_count)
        fp = np.bincount(self.image_of[shown & self.false], minlength=n)
        found = np.bincount(self.image_of[shown & ~self.false], minlength=n)
        return fp + self.gt_count - found

    def match(self, index: int, conf: float) -> ImageMatch:
        """``match_image`` of image ``index`` at ``conf`` (at the IoU these outcomes were made with)."""
        return _cut(self.review.images[index], self.orders[index], self.took[index], conf)


def outcomes(review: Review, iou: float = 0.5) -> Outcomes:
    """Match every image once (the slow part: a loop over detections; do it off the GUI thread)."""
    matched = [_greedy(img, iou) for img in review.images]
    orders, took = [m[0] for m in matched], [m[1] for m in matched]
    scores = [img.dets[order, 4] for img, order in zip(review.images, orders, strict=True)]
    sizes = [len(order) for order in orders]
    return Outcomes(review, orders, took,
                    np.concatenate(scores) if scores else np.zeros(0),
                    np.concatenate(took) < 0 if took else np.zeros(0, dtype=bool),
                    np.repeat(np.arange(len(orders)), sizes).astype(np.int64),
                    np.array([len(img.gt_boxes) for img in review.images], dtype=np.int64))


def worst_first(review: Review, conf: float, found: Outcomes | None = None) -> list[int]:
    """Image indices, the most errors (false positives + missed objects) at ``conf`` first, ties by image
    id; images without errors last (by id). ``found``: ``outcomes(review)`` when already made."""
    errors = (outcomes(review) if found is None else found).errors(conf)
    ids = np.array([img.image_id for img in review.images], dtype=np.int64)
    return np.lexsort((ids, -errors)).tolist()


def confusion_at(review: Review, conf: float, iou: float = 0.45) -> np.ndarray:
    """(nc + 1, nc + 1) int64 counts, rows predicted, columns true, last row / column background
    (``studio.evaluation.confusion.ConfusionMatrix``) of the detections scoring above ``conf``."""
    from studio.evaluation.confusion import ConfusionMatrix  # loads torch: not at import

    matrix = ConfusionMatrix(len(review.names), conf=conf, iou=iou)
    for img in review.images:
        matrix.update(img.dets, img.gt_boxes, img.gt_classes)
    return matrix.matrix
