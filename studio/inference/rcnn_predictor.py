"""Predictors of the two-stage detector: each image resized with its aspect kept (short side ``min_size``,
long side at most ``max_size``) and padded top-left onto the square canvas of the long-side cap (the ONNX
export's input, so that a checkpoint and its export give the same detections); the same ``RCNNPostprocess``
after both. ``__call__`` as the one-stage predictors: list of (H, W, 3) uint8 RGB -> one float32 (n, 6)
array per image in original pixels."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from studio.data.resize_dataset import keep_ratio_scale
from studio.inference.onnx_session import open_session
from studio.inference.preprocess import Letterboxed
from studio.models.postprocess_rcnn import RCNNPostprocess


def resize_keep_ratio(image: np.ndarray, min_size: int, max_size: int, canvas: int = 0,
                      ) -> tuple[np.ndarray, Letterboxed]:
    """(H, W, 3) uint8 RGB -> (3, h, w) float32 in [0, 1] padded with zeros at the right and bottom to a
    multiple of 32 (or to canvas x canvas), and its geometry (ratio, no offset)."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
    h0, w0 = image.shape[:2]
    r = keep_ratio_scale(h0, w0, min_size, max_size)
    w, h = max(round(w0 * r), 1), max(round(h0 * r), 1)
    resized = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR if r > 1 else cv2.INTER_AREA)
    ph, pw = (canvas, canvas) if canvas else (-(-h // 32) * 32, -(-w // 32) * 32)
    out = np.zeros((3, ph, pw), dtype=np.float32)
    out[:, :h, :w] = resized.transpose(2, 0, 1) / 255.0
    return out, Letterboxed(h / h0, (0, 0), (h0, w0))


class RCNNTorchPredictor:
    def __init__(self, model: nn.Module, min_size: int, max_size: int, device: str | torch.device = "cpu",
                 conf: float = 0.25, iou: float = 0.5, max_det: int = 100, *, names: Sequence[str],
                 class_ids: Sequence[int]) -> None:
        self.device = torch.device(device)
        self.model = model.eval().to(self.device)
        self.min_size, self.max_size = min_size, max_size
        self.imgsz = min_size
        self.canvas = -(-max_size // 32) * 32
        self.names, self.class_ids = list(names), list(class_ids)
        self.conf, self.iou, self.max_det = conf, iou, max_det

    @torch.no_grad()
    def __call__(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        for image in images:  # one at a time, on the square canvas the ONNX export takes (same detections)
            x, geometry = resize_keep_ratio(image, self.min_size, self.max_size, self.canvas)
            dets = self.model.predict(torch.from_numpy(x)[None].to(self.device), self.conf, self.iou,
                                      self.max_det)[0]
            out.append(geometry.to_original(dets.float().cpu().numpy()))
        return out


class RCNNOnnxPredictor:
    """Runs an export of ``studio.export.onnx_rcnn`` with onnxruntime (metadata gives names, sizes)."""

    def __init__(self, onnx_path: Path | str, conf: float = 0.25, iou: float = 0.5, max_det: int = 100,
                 providers: Sequence[str] | None = None) -> None:
        self.path = Path(onnx_path)
        self.session = open_session(self.path, list(providers or ["CPUExecutionProvider"]))
        meta = self.session.get_modelmeta().custom_metadata_map
        self.names: list[str] = json.loads(meta["names"])
        self.class_ids: list[int] = json.loads(meta["class_ids"])
        self.imgsz = int(meta["imgsz"])
        self.min_size, self.max_size = int(meta["min_size"]), int(meta["max_size"])
        self.post = RCNNPostprocess(conf, iou, max_det)

    def __call__(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        for image in images:
            x, geometry = resize_keep_ratio(image, self.min_size, self.max_size, self.imgsz)
            boxes, scores = (torch.from_numpy(a) for a in self.session.run(None, {"images": x[None]}))
            dets = self.post(torch.zeros(len(boxes), dtype=torch.int64), boxes, scores, 1)[0]
            out.append(geometry.to_original(dets.numpy()))
        return out
