"""Does the ONNX file compute what the torch model computes? Both run the same random batches; the report
gives the largest differences of the raw and decoded outputs and whether the detections after
``Postprocess`` are the same."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.export.onnx import ExportModel, fused_copy, read_metadata
from studio.inference.onnx_session import choose_providers
from studio.inference.predictor import OnnxPredictor

TOLERANCE = {"float32": 1e-3, "float16": 5e-2}  # default allowed difference, relative to the output scale
# NMS is discrete: candidates whose scores differ by ~1e-7 can swap which one survives, so a weakly trained
# model may keep a different box of a near-tie. Outputs within tolerance and at least this share of the
# detections paired still count as parity; the report says how many paired.
MIN_PAIRED = 0.9
# An untrained or barely trained model scores thousands of candidates of random inputs alike, and NMS then
# keeps near-ties differently at conf 0.001 whatever the share; what a user sees is what scores at least
# ``tern predict``'s default: those must pair one to one.
SHOWN_CONF = 0.25


@dataclass(frozen=True)
class BatchParity:
    """One batch size: largest |torch - onnx| of raw (B, A, 4 * reg_max + nc) and decoded (B, A, 4 + nc),
    the number of detections each found, and whether they are the same."""

    batch: int
    raw_diff: float
    decoded_diff: float
    torch_detections: int
    onnx_detections: int
    paired: int            # detections of torch matched one to one by a detection of onnx
    shown: tuple[int, int, int] | None = None  # (torch, onnx, paired) of the detections scoring >= SHOWN_CONF

    @property
    def same_detections(self) -> bool:
        return self.paired == self.torch_detections == self.onnx_detections

    @property
    def same_shown(self) -> bool:
        return self.shown is not None and self.shown[0] == self.shown[1] == self.shown[2]

    @property
    def detections_agree(self) -> bool:
        """All paired, or all but a few near-ties of NMS (at least MIN_PAIRED of the larger count), or at
        least every detection scoring >= SHOWN_CONF paired."""
        most = max(self.torch_detections, self.onnx_detections)
        return self.same_detections or self.paired >= MIN_PAIRED * most or self.same_shown


@dataclass(frozen=True)
class ParityReport:
    rows: tuple[BatchParity, ...]
    tolerance: float       # allowed raw_diff; decoded_diff may be this times the decoded outputs' scale
    decoded_scale: float   # the largest |decoded| value (pixel coordinates dominate)

    @property
    def ok(self) -> bool:
        return all(r.raw_diff <= self.tolerance and r.decoded_diff <= self.tolerance * self.decoded_scale
                   and r.detections_agree for r in self.rows)

    def format(self) -> str:
        """One line: ``ok`` or ``MISMATCH``, then per batch size the differences and detection counts."""
        parts = [f"batch {r.batch}: raw {r.raw_diff:.2e}, decoded {r.decoded_diff:.2e}, detections "
                 f"{_agreement(r)} ({r.torch_detections} torch, {r.onnx_detections} onnx)" for r in self.rows]
        return f"{'ok' if self.ok else 'MISMATCH'} (tolerance {self.tolerance:g}); " + "; ".join(parts)


def check_parity(model: nn.Module, onnx_path: Path | str, imgsz: int, batches: Sequence[int] = (1, 4), *,
                 conf: float = 0.001, iou: float = 0.7, seed: int = 0,
                 tolerance: float | None = None) -> ParityReport:
    """Run ``model`` (a fused copy, on the ONNX input's dtype: float16 runs on CUDA) and the ONNX file on
    the same uniform random (B, 3, imgsz, imgsz) batches (a file exported with a fixed batch of 1 runs
    them one image at a time). Detections are compared after ``Postprocess(conf, iou)`` (by default
    what validation keeps): same count and classes, boxes within tolerance * scale, scores within
    tolerance."""
    predictor = OnnxPredictor(onnx_path, conf, iou, providers=_providers(onnx_path))
    half = predictor.input_dtype == np.float16
    device = torch.device("cuda" if half else "cpu")
    dtype = torch.float16 if half else torch.float32
    wrapper = ExportModel(fused_copy(model)).to(device, dtype)
    tolerance = tolerance if tolerance is not None else TOLERANCE["float16" if half else "float32"]
    generator = torch.Generator().manual_seed(seed)
    rows, scale = [], 1.0
    for batch in batches:
        images = torch.rand(batch, 3, imgsz, imgsz, generator=generator)
        with torch.no_grad():
            decoded, raw = (t.float().cpu() for t in wrapper(images.to(device, dtype)))
        onnx_decoded, onnx_raw = (torch.from_numpy(a) for a in predictor.run(images.numpy()))
        scale = max(scale, float(decoded.abs().max()))
        ours, theirs = predictor.post(decoded), predictor.post(onnx_decoded)
        paired = sum(_paired(a, b, tolerance * scale, tolerance) for a, b in zip(ours, theirs, strict=True))
        # NMS keeps a box or not by the boxes scoring above it, so the detections >= SHOWN_CONF are exactly
        # what NMS at SHOWN_CONF keeps
        ours_shown = [d[d[:, 4] >= SHOWN_CONF] for d in ours]
        theirs_shown = [d[d[:, 4] >= SHOWN_CONF] for d in theirs]
        shown = (sum(len(d) for d in ours_shown), sum(len(d) for d in theirs_shown),
                 sum(_paired(a, b, tolerance * scale, tolerance) for a, b in zip(ours_shown, theirs_shown,
                                                                                strict=True)))
        rows.append(BatchParity(batch, _max_diff(raw, onnx_raw), _max_diff(decoded, onnx_decoded),
                                sum(len(d) for d in ours), sum(len(d) for d in theirs), paired, shown))
    return ParityReport(tuple(rows), tolerance, scale)


def _providers(onnx_path: Path | str) -> list[str]:
    """CPU for float32 (deterministic, always there); the fastest onnxruntime offers for float16."""
    if read_metadata(onnx_path).get("half") == "true":
        import onnxruntime as ort

        return choose_providers(ort.get_available_providers())
    return ["CPUExecutionProvider"]


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max()) if a.numel() else 0.0


def _agreement(r: BatchParity) -> str:
    if r.same_detections:
        return "same"
    most = max(r.torch_detections, r.onnx_detections)
    if r.paired >= MIN_PAIRED * most:
        return f"{r.paired} paired, the rest near-ties of NMS"
    if r.same_shown:
        return (f"{r.paired} paired: near-ties of NMS among low scores; the {r.shown[0]} scoring >= "
                f"{SHOWN_CONF:g} are the same")
    return f"DIFFER ({r.paired} paired)"


def _paired(a: torch.Tensor, b: torch.Tensor, box_atol: float, score_atol: float) -> int:
    """How many (n, 6) detections of ``a`` pair one to one with a detection of ``b`` of the same class, box
    within ``box_atol`` px and score within ``score_atol`` (greedy, in ``a``'s order)."""
    a, b = a.cpu().double().numpy(), b.cpu().double().numpy()
    close = ((np.abs(a[:, None, :4] - b[None, :, :4]).max(-1) <= box_atol)
             & (np.abs(a[:, None, 4] - b[None, :, 4]) <= score_atol) & (a[:, None, 5] == b[None, :, 5]))
    free = np.ones(len(b), dtype=bool)
    for row in close:
        candidates = np.flatnonzero(row & free)
        if len(candidates):
            free[candidates[0]] = False
    return int((~free).sum())
