"""Validation of a detector: predictions on the val images, mAP by pycocotools (so it equals
pycocotools by construction), and on request the plots (PR curve, confusion matrix, a grid of val images
with ground truth vs predictions)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.engine.data_source import TrainingData
from studio.evaluation.coco_map import DetectionMetrics, evaluate_detections
from studio.inference.preprocess import Letterboxed

GRID_IMAGES = 16


@dataclass(frozen=True)
class DetectValResult:
    metrics: dict[str, float]                 # DESIGN metric names -> values
    detail: DetectionMetrics                  # per-class AP, curves
    predictions: dict[int, np.ndarray]        # image id -> (n, 6) original px, score, class index


@torch.no_grad()
def predict_loader(model: nn.Module, loader, device: torch.device, heartbeat=None) -> dict[int, np.ndarray]:
    """Detections per image id in original pixels: (n, 6 + 3K) x1, y1, x2, y2, score, class index (then a
    pose model's K keypoints x, y, conf); the model's ``predict`` with its ``val_settings`` (one-stage:
    conf 0.001, IoU 0.7, multi-label; two-stage: the reference 0.05, 0.5, 100)."""
    model.eval()
    out: dict[int, np.ndarray] = {}
    for i, batch in enumerate(loader):
        images = batch["images"].to(device).float().div_(255)
        dets_per_image = model.predict(images, **model.val_settings)
        for dets, image_id, size, ratio, pad in zip(dets_per_image, batch["image_ids"], batch["orig_sizes"],
                                                    batch["ratios"], batch["pads"], strict=True):
            geometry = Letterboxed(float(ratio), (pad[0], pad[1]), (int(size[0]), int(size[1])))
            out[int(image_id)] = geometry.to_original(dets.float().cpu().numpy())
        if heartbeat is not None:
            heartbeat(i + 1, len(loader))
    return out


def validate_detector(model: nn.Module, loader, data: TrainingData, device: torch.device,
                      plots: Path | None = None, heartbeat=None) -> DetectValResult:
    predictions = predict_loader(model, loader, device, heartbeat)
    detail = evaluate_detections(data.val, predictions, data.class_ids, data.names)
    metrics = {"metrics/precision(B)": detail.precision, "metrics/recall(B)": detail.recall,
               "metrics/mAP50(B)": detail.map50, "metrics/mAP50-95(B)": detail.map}
    if plots is not None:
        write_val_plots(plots, data, predictions, detail)
    return DetectValResult(metrics, detail, predictions)


def write_val_plots(plots: Path, data: TrainingData, predictions: dict[int, np.ndarray],
                    detail: DetectionMetrics, skeleton: Sequence[tuple[int, int]] = ()) -> list[Path]:
    """PR curve, confusion matrix and a grid of val images (predictions with keypoints and ``skeleton``
    when they carry them); beside ``plots`` the review file the Results view reads (``<run>/review.json``)."""
    from studio.data.decode import read_rgb
    from studio.evaluation.confusion import ConfusionMatrix
    from studio.evaluation.plots import plot_confusion, plot_pr_curve, plot_val_grid
    from studio.evaluation.review import REVIEW_FILE, write_review

    plots.mkdir(parents=True, exist_ok=True)
    confusion = ConfusionMatrix(len(data.names))
    empty = np.zeros((0, 6), np.float32)
    for rec in data.val:
        confusion.update(predictions.get(rec.image_id, empty), rec.boxes[~rec.crowd], rec.classes[~rec.crowd])
    paths = [plots / "pr_curve.png", plots / "confusion_matrix.png", plots / "val_predictions.png"]
    plot_pr_curve(detail, data.names, paths[0])
    plot_confusion(confusion.matrix, data.names, paths[1])
    grid = [(read_rgb(Path(r.path)), r.boxes, r.classes, _shown(predictions.get(r.image_id, empty)))
            for r in data.val[:GRID_IMAGES]]
    plot_val_grid(grid, data.names, paths[2], skeleton)
    write_review(plots.parent / REVIEW_FILE, data, predictions, detail, skeleton=skeleton)
    return paths


def _shown(dets: np.ndarray, conf: float = 0.25) -> np.ndarray:
    """The detections worth drawing (validation keeps everything above 0.001)."""
    return dets[dets[:, 4] >= conf]


class Heartbeat:
    """Calls ``beat(done, total)`` at most every ``every`` seconds (progress events are the heartbeat)."""

    def __init__(self, beat, every: float = 5.0) -> None:
        self.beat, self.every, self.last = beat, every, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= self.every or done == total:
            self.last = now
            self.beat(done, total)
