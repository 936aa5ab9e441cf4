"""Predictors: RGB images in, detections in original pixels out, from a torch detector or an ONNX export.
Both letterbox the same way, decode the same way and run the same ``Postprocess``, so their detections
agree up to float rounding."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.engine.checkpoint import DENOISER_HINT
from studio.errors import CheckpointError, ConfigError
from studio.inference.onnx_session import open_session
from studio.inference.preprocess import letterbox_batch
from studio.models.postprocess import Postprocess, decode_outputs


class TorchPredictor:
    """Runs a detector (an nn.Module following the Detector contract: ``nc``, ``reg_max``, ``strides``).

    ``__call__(images: list of (H, W, 3) uint8 RGB)`` -> one float32 (n, 6 + 3K) array per image:
    x1, y1, x2, y2 in ORIGINAL pixels, score, class index, then for a pose model (``num_keypoints`` K > 0)
    K keypoints (x, y ORIGINAL pixels, visibility confidence). imgsz: the square input side (a multiple of
    the largest stride); names / class_ids: class index -> name / dataset category id (defaults: class0.. /
    0..); skeleton: 1-based keypoint edges for drawing.
    """

    def __init__(self, model: nn.Module, imgsz: int, device: str | torch.device = "cpu", conf: float = 0.25,
                 iou: float = 0.7, max_det: int = 300, *, names: Sequence[str] | None = None,
                 class_ids: Sequence[int] | None = None, skeleton: Sequence[tuple[int, int]] = ()) -> None:
        stride = max(model.strides)
        if imgsz % stride:
            raise ConfigError(f"imgsz {imgsz} must be a multiple of the model's largest stride {stride}")
        self.device = torch.device(device)
        self.model = model.eval().to(self.device)
        self.imgsz = imgsz
        self.names = list(names) if names is not None else [f"class{i}" for i in range(model.nc)]
        self.class_ids = list(class_ids) if class_ids is not None else list(range(model.nc))
        self.num_keypoints = int(getattr(model, "num_keypoints", 0))
        self.skeleton = [tuple(e) for e in skeleton]
        self.post = Postprocess(conf=conf, iou=iou, max_det=max_det, extra=3 * self.num_keypoints)

    @torch.no_grad()
    def __call__(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        if not images:
            return []
        batch, geometry = letterbox_batch(images, self.imgsz)
        dtype = next(self.model.parameters()).dtype
        x = torch.from_numpy(batch).to(self.device, dtype)
        decoded = decode_outputs(self.model(x), self.model.strides, self.model.reg_max, self.num_keypoints)
        return [g.to_original(d.float().cpu().numpy()) for d, g in zip(self.post(decoded.float()), geometry,
                                                                       strict=True)]


class OnnxPredictor:
    """Runs a Tern ONNX export (``studio.export.onnx``) with onnxruntime; class names, class ids and the
    input size come from the file's metadata. Same ``__call__`` as TorchPredictor.

    providers: onnxruntime execution providers (None: ``choose_providers`` of what onnxruntime offers).
    """

    def __init__(self, onnx_path: Path | str, conf: float = 0.25, iou: float = 0.7, max_det: int = 300,
                 providers: Sequence[str] | None = None) -> None:
        self.path = Path(onnx_path)
        self.session = open_session(self.path, providers)
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("task") == "denoise":
            raise ConfigError(f"{self.path}: {DENOISER_HINT}")
        if "names" not in meta or "imgsz" not in meta:
            raise CheckpointError(self.path, "not a Tern ONNX export (no names / imgsz metadata); "
                                             "export it with `tern export`")
        self.names: list[str] = json.loads(meta["names"])
        self.class_ids: list[int] = json.loads(meta.get("class_ids", "null")) or list(range(len(self.names)))
        self.imgsz = int(meta["imgsz"])
        entry = self.session.get_inputs()[0]
        self.input_name = entry.name
        self.input_dtype = np.float16 if entry.type == "tensor(float16)" else np.float32
        self.fixed_batch = entry.shape[0] if isinstance(entry.shape[0], int) else None
        self.num_keypoints = int(meta.get("num_keypoints", "0"))
        self.skeleton = [tuple(e) for e in json.loads(meta.get("skeleton", "[]"))]
        self.post = Postprocess(conf=conf, iou=iou, max_det=max_det, extra=3 * self.num_keypoints)

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The raw session outputs (decoded (B, A, 4 + nc), raw (B, A, 4 * reg_max + nc)) for a float32
        (B, 3, imgsz, imgsz) batch, split into the export's fixed batch size when it has one."""
        step = self.fixed_batch or len(batch)
        parts = [self.session.run(["decoded", "raw"], {self.input_name: batch[i:i + step].astype(
            self.input_dtype)}) for i in range(0, len(batch), step)]
        return (np.concatenate([p[0] for p in parts]).astype(np.float32),
                np.concatenate([p[1] for p in parts]).astype(np.float32))

    def __call__(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        if not images:
            return []
        batch, geometry = letterbox_batch(images, self.imgsz)
        decoded, _ = self.run(batch)
        return [g.to_original(d.numpy()) for d, g in zip(self.post(torch.from_numpy(decoded)), geometry,
                                                         strict=True)]
