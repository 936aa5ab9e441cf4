"""Prediction files, each written atomically: YOLO label rows with confidence, COCO results
(predictions.json) and the image list that goes with them (images.json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from studio.evaluation.coco_map import to_coco_results
from studio.utils.atomic import atomic_write_text


def yolo_rows(dets: np.ndarray, size: tuple[int, int]) -> list[str]:
    """``cls cx cy w h conf`` per detection, box normalised by the image ``size`` (h, w), 6 decimals.
    dets: (n, 6) x1, y1, x2, y2 ORIGINAL pixels, score, class index."""
    h, w = size
    rows = []
    for x1, y1, x2, y2, score, cls in np.asarray(dets, dtype=np.float64).reshape(-1, 6).tolist():
        rows.append(f"{int(cls)} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} "
                    f"{(y2 - y1) / h:.6f} {score:.6f}")
    return rows


def write_yolo_txt(path: Path | str, dets: np.ndarray, size: tuple[int, int]) -> Path:
    """One ``yolo_rows`` line per detection (an empty file when there is none); size is (h, w)."""
    rows = yolo_rows(dets, size)
    atomic_write_text(path, "".join(f"{row}\n" for row in rows))
    return Path(path)


def write_predictions_json(path: Path | str, predictions: dict[int, np.ndarray],
                           class_ids: Sequence[int]) -> Path:
    """COCO results (``to_coco_results``): image id -> (n, 6) ORIGINAL px, score, class index."""
    atomic_write_text(path, json.dumps(to_coco_results(predictions, class_ids)))
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
