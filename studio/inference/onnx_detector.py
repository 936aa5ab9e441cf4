"""An exported one-stage detector (float32, float16 or int8 ONNX) behind the part of the Detector contract
that validation uses (``predict``, ``val_settings``, ``eval``, ``to``), so ``tern val`` measures an export
with exactly the loader, postprocess and pycocotools evaluation that measure a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from studio.engine.checkpoint import CheckpointMeta
from studio.errors import CheckpointError
from studio.inference.predictor import OnnxPredictor
from studio.models.config import ModelConfig
from studio.models.detectors.one_stage import VAL_SETTINGS
from studio.models.postprocess import Postprocess


class OnnxDetector:
    """``predict(images (B, 3, S, S) float [0, 1])`` -> per image (n, 6 + 3K) detections in input pixels,
    as ``Detector.predict``; S must be the export's input size."""

    def __init__(self, onnx_path: Path | str) -> None:
        self.predictor = OnnxPredictor(onnx_path, providers=None)
        self.num_keypoints = self.predictor.num_keypoints
        self.nc = len(self.predictor.names)
        self.val_settings = dict(VAL_SETTINGS)  # the one-stage detector's

    def eval(self) -> OnnxDetector:
        return self

    def to(self, device: torch.device | str) -> OnnxDetector:
        del device  # onnxruntime chose its provider when the session opened
        return self

    def predict(self, images: torch.Tensor, conf: float = 0.25, iou: float = 0.7,
                max_det: int = 300) -> list[torch.Tensor]:
        size = self.predictor.imgsz
        if tuple(images.shape[-2:]) != (size, size):
            raise CheckpointError(self.predictor.path, f"exported for {size}x{size} inputs, given "
                                  f"{images.shape[-2]}x{images.shape[-1]}; validate with --imgsz {size}")
        decoded, _ = self.predictor.run(images.cpu().float().numpy())
        post = Postprocess(conf=conf, iou=iou, max_det=max_det, multi_label=conf < 0.01,
                           extra=3 * self.num_keypoints)
        return post(torch.from_numpy(decoded))


def onnx_meta(detector: OnnxDetector) -> CheckpointMeta:
    """What ``tern val`` needs of a checkpoint's metadata, read from the export's metadata."""
    p = detector.predictor
    meta = p.session.get_modelmeta().custom_metadata_map
    if meta.get("task") not in ("detect", "pose") or meta.get("arch", "yolo") != "yolo":
        kind = meta.get("arch") or meta.get("task") or "unknown"
        raise CheckpointError(p.path, f"a {kind} export; `tern val` takes one-stage detector and pose "
                              "exports (validate a Faster R-CNN with its best.pt)")
    sigmas = tuple(float(s) for s in json.loads(meta.get("kpt_sigmas", "[]")))
    config = ModelConfig(nc=detector.nc, num_keypoints=detector.num_keypoints)
    return CheckpointMeta(list(p.names), list(p.class_ids), p.imgsz, config, skeleton=tuple(p.skeleton),
                          kpt_sigmas=sigmas)


def is_onnx(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".onnx"

