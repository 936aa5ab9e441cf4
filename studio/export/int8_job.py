"""``tern export --int8``: the float32 export (with its parity check) is quantized to ``<name>.int8.onnx``,
calibrated on images of the training data (or ``--calib``), and both files are validated on the val split
so the accuracy the int8 file gives up is printed, not assumed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from studio.errors import DatasetFormatError, ExportError
from studio.export.quantize import CALIBRATION_IMAGES, quantize_export

COMPARE_IMAGES = 200  # val images both files are validated on (the first N; `tern val` takes them all)


def int8_path(float_path: Path) -> Path:
    """``best.onnx`` -> ``best.int8.onnx``."""
    return float_path.with_suffix(".int8.onnx")


def export_int8(float_path: Path, train_config: dict[str, Any], calib: str = "",
                count: int = CALIBRATION_IMAGES) -> tuple[Path, list[str]]:
    """Quantize ``float_path`` beside it; (int8 path, report lines). ``train_config``: the checkpoint's
    training config (where its data is); ``calib``: an image, folder or dataset to calibrate on instead."""
    from studio.inference.sources import list_source

    try:
        data, problem = _training_data(train_config, "calibrate on"), ""
    except ExportError as exc:
        if not calib:
            raise
        data, problem = None, str(exc)
    if calib:
        paths, where = [p for _, p in list_source(calib)], calib
    else:
        paths, where = [r.path for r in data.train], f"the training images of {train_config.get('data')}"
    images, skipped = _read(_spread(paths, count))
    out = quantize_export(float_path, int8_path(float_path), images)
    lines = [f"exported {out} (int8, calibrated on {len(images)} images of {where})"]
    if skipped:
        lines.append(f"{len(skipped)} calibration images could not be read (first: {skipped[0]})")
    lines.append(compare_on_val(float_path, out, data) if data is not None
                 else f"int8 accuracy not compared: {problem}")
    return out, lines


def compare_on_val(float_path: Path, int8_file: Path, data, limit: int = COMPARE_IMAGES) -> str:
    """"int8 vs float32 on N val images: mAP50-95 a (float32 b), mAP50 c (d)" on the first ``limit`` val
    images of ``data`` (TrainingData), measured exactly as ``tern val`` measures."""
    from dataclasses import replace

    data = replace(data, val=data.val[:limit])
    if not data.val:
        return "int8 accuracy not compared: the data has no val images"
    ours, ref = (export_maps(path, data) for path in (int8_file, float_path))
    parts = [f"{name} {ours[name]:.4f} (float32 {ref[name]:.4f})" for name in ours]
    return (f"int8 vs float32 on {len(data.val)} val images: {', '.join(parts)}; "
            f"`tern val --weights {int8_file.name}` validates on the whole val split")


def export_maps(onnx_path: Path, data) -> dict[str, float]:
    """mAP50-95 and mAP50 of an export's boxes on ``data.val``, and of its keypoints (OKS, the sigmas
    training used) for a pose model."""
    import torch

    from studio.data.loader import build_loader
    from studio.engine.detect_task import DetectTask
    from studio.engine.run_sampler import RunSampler
    from studio.engine.validate_detect import predict_loader
    from studio.evaluation.coco_map import evaluate_detections
    from studio.inference.onnx_detector import OnnxDetector

    detector = OnnxDetector(onnx_path)
    dataset = DetectTask.val_dataset(data.val, detector.predictor.imgsz)
    loader = build_loader(dataset, RunSampler(len(dataset), shuffle=False), 8, 0)
    predictions = predict_loader(detector, loader, torch.device("cpu"))
    boxes = evaluate_detections(data.val, {i: p[:, :6] for i, p in predictions.items()}, data.class_ids,
                                data.names)
    maps = {"mAP50-95": boxes.map, "mAP50": boxes.map50}
    if detector.num_keypoints and data.pose is not None:
        from studio.evaluation.coco_oks import evaluate_keypoints, pose_sigmas

        maps["keypoint mAP50-95"] = evaluate_keypoints(data.val, predictions, data.class_ids, data.names,
                                                       pose_sigmas(data.pose)).map
    return maps


def _training_data(train_config: dict[str, Any], purpose: str):
    from studio.engine.data_source import load_training_data

    source = train_config.get("data")
    if not source:
        raise ExportError(f"the weights do not say what data they were trained on; to {purpose}, pass "
                          "--calib DIR")
    try:
        return load_training_data(source, train_config.get("images", ""),
                                  float(train_config.get("val_fraction", 0.2)))
    except (DatasetFormatError, OSError) as exc:
        raise ExportError(f"the training data {source} cannot be read ({exc}); pass --calib DIR with "
                          "images like the ones the model will see") from exc


def _spread(paths: Sequence[Path], count: int) -> list[Path]:
    """At most ``count`` of ``paths``, evenly spaced (a dataset sorted by scene still gives every scene)."""
    if len(paths) <= count:
        return list(paths)
    return [paths[i] for i in np.linspace(0, len(paths) - 1, count).round().astype(int)]


def _read(paths: Sequence[Path]) -> tuple[list[np.ndarray], list[str]]:
    from studio.data.decode import read_rgb

    images, skipped = [], []
    for path in paths:
        try:
            images.append(read_rgb(path))
        except DatasetFormatError as exc:
            skipped.append(str(exc))
    return images, skipped
