"""Prediction files, each written atomically: YOLO label rows with confidence, COCO results
(predictions.json, with keypoints for a pose model) and the image list that goes with them (images.json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from studio.evaluation.coco_map import to_coco_results
from studio.evaluation.coco_oks import prediction_rows, to_coco_keypoint_results
from studio.io.yolo_labels import format_row
from studio.utils.atomic import atomic_write_text

KEYPOINT_VISIBLE = 0.5  # a predicted keypoint with conf >= this is written visible (v = 2), else unlabeled


def yolo_rows(dets: np.ndarray, size: tuple[int, int], *, conf: bool = True) -> list[str]:
    """``cls cx cy w h conf`` per detection, box normalised by the image ``size`` (h, w), 6 decimals:
    a YOLO label row (``studio.io.yolo_labels.format_row``), then the detection's score.

    dets: (n, 6) x1, y1, x2, y2 ORIGINAL pixels, score, class index. A pose model's (n, 6 + 3K) rows
    (then x, y, conf per keypoint) add ``x y v`` per keypoint before the score: x, y normalised and
    clipped to [0, 1], v = 2 where conf >= KEYPOINT_VISIBLE, else ``0.000000 0.000000 0``. ``conf=False``
    leaves the score out, so the rows read back as YOLO (pose) labels, e.g. for pre-labelling.
    """
    h, w = size
    rows = []
    for row in prediction_rows(dets).tolist():
        x1, y1, x2, y2, score, cls = row[:6]
        kpts = label_keypoints(row[6:], size) if len(row) > 6 else None
        text = format_row(int(cls), (x1, y1, x2, y2), w, h, kpts)
        rows.append(f"{text} {score:.6f}" if conf else text)
    return rows


def label_keypoints(values: list[float], size: tuple[int, int]) -> np.ndarray:
    """(K, 3) [x, y, v] pixels from [x, y, conf] * K: v = 2 and x, y clipped into the image where
    conf >= KEYPOINT_VISIBLE, else (0, 0, 0)."""
    h, w = size
    kpts = np.asarray(values, dtype=np.float64).reshape(-1, 3)
    visible = kpts[:, 2] >= KEYPOINT_VISIBLE
    out = np.zeros_like(kpts)
    out[visible, 0] = np.clip(kpts[visible, 0], 0, w)
    out[visible, 1] = np.clip(kpts[visible, 1], 0, h)
    out[visible, 2] = 2
    return out


def write_yolo_txt(path: Path | str, dets: np.ndarray, size: tuple[int, int], *, conf: bool = True) -> Path:
    """One ``yolo_rows`` line per detection (an empty file when there is none); size is (h, w)."""
    rows = yolo_rows(dets, size, conf=conf)
    atomic_write_text(path, "".join(f"{row}\n" for row in rows))
    return Path(path)


def write_predictions_json(path: Path | str, predictions: dict[int, np.ndarray],
                           class_ids: Sequence[int]) -> Path:
    """COCO results: image id -> (n, 6) ORIGINAL px, score, class index (``to_coco_results``), or
    (n, 6 + 3K) with keypoint columns (``to_coco_keypoint_results``: each result adds ``keypoints``)."""
    pose = any(prediction_rows(p).shape[1] > 6 for p in predictions.values())
    results = (to_coco_keypoint_results if pose else to_coco_results)(predictions, class_ids)
    atomic_write_text(path, json.dumps(results))
    return Path(path)


def write_images_json(path: Path | str, entries: Sequence[dict[str, Any]]) -> Path:
    """The COCO ``images`` list the results refer to: dicts with id, file_name, width, height."""
    missing = [key for key in ("id", "file_name", "width", "height") for e in entries if key not in e]
    if missing:
        raise ValueError(f"images.json entries need id, file_name, width and height (missing {missing[0]})")
    images = [{"id": int(e["id"]), "file_name": str(e["file_name"]), "width": int(e["width"]),
               "height": int(e["height"])} for e in entries]
    atomic_write_text(path, json.dumps(images, indent=1))
    return Path(path)
