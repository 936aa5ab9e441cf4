"""Validation of a pose model: the detector's box metrics ``(B)`` plus keypoint metrics ``(P)`` from
pycocotools COCOeval iouType "keypoints" (OKS with the run's sigmas), so both equal pycocotools by
construction; on request the detection plots and a grid of val images with skeletons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.engine.data_source import TrainingData
from studio.engine.validate_detect import predict_loader, write_val_plots
from studio.evaluation.coco_map import DetectionMetrics, evaluate_detections
from studio.evaluation.coco_oks import KeypointMetrics, evaluate_keypoints


@dataclass(frozen=True)
class PoseValResult:
    metrics: dict[str, float]                 # DESIGN metric names, (B) and (P) -> values
    boxes: DetectionMetrics                   # per-class box AP, curves
    keypoints: KeypointMetrics                # OKS AP, AP50, AP75, APm, APl, per class
    predictions: dict[int, np.ndarray]        # image id -> (n, 6 + 3K) original px


def validate_pose(model: nn.Module, loader, data: TrainingData, sigmas: Sequence[float], device: torch.device,
                  plots: Path | None = None, heartbeat=None) -> PoseValResult:
    predictions = predict_loader(model, loader, device, heartbeat)
    boxes = evaluate_detections(data.val, {i: p[:, :6] for i, p in predictions.items()}, data.class_ids,
                                data.names)
    kpts = evaluate_keypoints(data.val, predictions, data.class_ids, data.names, sigmas)
    metrics = {"metrics/precision(B)": boxes.precision, "metrics/recall(B)": boxes.recall,
               "metrics/mAP50(B)": boxes.map50, "metrics/mAP50-95(B)": boxes.map,
               "metrics/precision(P)": kpts.precision, "metrics/recall(P)": kpts.recall,
               "metrics/mAP50(P)": kpts.map50, "metrics/mAP50-95(P)": kpts.map}
    if plots is not None:
        skeleton = data.pose.skeleton if data.pose is not None else ()
        write_val_plots(plots, data, predictions, boxes, skeleton=skeleton)
    return PoseValResult(metrics, boxes, kpts, predictions)


def format_keypoint_line(kpts: KeypointMetrics) -> str:
    """One line of the keypoint stats, as COCOeval names them."""
    return (f"keypoints (OKS): AP {kpts.map:.3f}  AP50 {kpts.map50:.3f}  AP75 {kpts.map75:.3f}  "
            f"APm {kpts.map_m:.3f}  APl {kpts.map_l:.3f}")
