"""Export the two-stage detector to ONNX: input ``images`` (1, 3, S, S) float RGB in [0, 1], the image
resized with its aspect kept and padded top-left onto the S x S canvas; outputs ``boxes`` (R, nc, 4) xyxy
canvas pixels per class and ``scores`` (R, nc) for the R proposals left after the RPN's NMS (R varies).
Proposal NMS is the ONNX NonMaxSuppression operator, RoIAlign is exported as it is (GridSample); the
final per-class NMS runs in the predictor (``RCNNPostprocess``), as for the one-stage detector."""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.errors import ExportError
from studio.export.onnx import _version, fused_copy, set_metadata
from studio.export.parity import BatchParity, ParityReport, _max_diff, _paired
from studio.models.postprocess_rcnn import RCNNPostprocess
from studio.utils.atomic import atomic_write_bytes

INPUT, OUTPUTS = "images", ("boxes", "scores")


class RCNNExportModel(nn.Module):
    """A fused, eval-mode two-stage detector for one image: (1, 3, S, S) -> (boxes, scores)."""

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, boxes, scores = self.detector(images)
        return boxes, scores


def export_rcnn_onnx(model: nn.Module, out_path: Path | str, canvas: int, *, min_size: int, max_size: int,
                     names: Sequence[str], class_ids: Sequence[int], opset: int = 17) -> Path:
    """Write ``out_path`` atomically (the caller's model is left as it was)."""
    if canvas <= 0 or canvas % 32:
        raise ExportError(f"canvas {canvas} must be a positive multiple of 32")
    wrapper = RCNNExportModel(fused_copy(model))
    dummy = torch.rand(1, 3, canvas, canvas, generator=torch.Generator().manual_seed(0))
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter warns on every call (see export/onnx.py)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(wrapper, (dummy,), buffer, dynamo=False, opset_version=opset, input_names=[INPUT],
                          output_names=list(OUTPUTS), dynamic_axes={"boxes": {0: "proposals"},
                                                                    "scores": {0: "proposals"}})
    import onnx

    proto = onnx.load_from_string(buffer.getvalue())
    set_metadata(proto, {
        "task": "detect", "arch": "faster_rcnn", "names": json.dumps(list(names)),
        "class_ids": json.dumps([int(i) for i in class_ids]), "imgsz": str(canvas),
        "min_size": str(min_size), "max_size": str(max_size), "tern_version": _version(),
    })
    onnx.checker.check_model(proto)
    out_path = Path(out_path)
    atomic_write_bytes(out_path, proto.SerializeToString())
    return out_path


def check_rcnn_parity(model: nn.Module, onnx_path: Path | str, canvas: int, *, seed: int = 0,
                      tolerance: float = 1e-3) -> ParityReport:
    """torch vs onnxruntime (CPU) on one random canvas: the largest score and box differences (when both
    kept the same number of proposals) and the detections after ``RCNNPostprocess`` paired one to one."""
    import onnxruntime as ort

    wrapper = RCNNExportModel(fused_copy(model))
    image = torch.rand(1, 3, canvas, canvas, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        boxes, scores = wrapper(image)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    o_boxes, o_scores = (torch.from_numpy(np.asarray(a)) for a in session.run(None, {INPUT: image.numpy()}))
    post = RCNNPostprocess()
    ours = post(torch.zeros(len(boxes), dtype=torch.int64), boxes, scores, 1)[0]
    theirs = post(torch.zeros(len(o_boxes), dtype=torch.int64), o_boxes, o_scores, 1)[0]
    scale = max(1.0, float(boxes.abs().max()) if boxes.numel() else 1.0)
    same = boxes.shape == o_boxes.shape
    if same:  # proposals of (near-)equal objectness may come out of the two NMS in either order
        order, o_order = _row_order(boxes), _row_order(o_boxes)
        boxes, scores, o_boxes, o_scores = boxes[order], scores[order], o_boxes[o_order], o_scores[o_order]
    row = BatchParity(1, _max_diff(scores, o_scores) if same else float("nan"),
                      _max_diff(boxes, o_boxes) if same else float("nan"), len(ours), len(theirs),
                      _paired(ours, theirs, tolerance * scale, tolerance))
    return ParityReport((row,), tolerance, scale)


def _row_order(boxes: torch.Tensor) -> torch.Tensor:
    """Rows of (R, nc, 4) sorted by their first class's box, rounded to 0.01 px (a canonical order)."""
    keys = np.round(boxes[:, 0].double().numpy(), 2)
    return torch.from_numpy(np.lexsort(keys.T[::-1]).copy())
